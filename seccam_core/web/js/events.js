// The page's one event stream (GET /events). EventSource cannot send headers, so the token
// goes in the stream's query string: the one URL allowed to carry it. On a drop the stream
// is reopened with the last seen id (?last_event_id=, the server's Last-Event-ID), so the
// events missed meanwhile are replayed; "connection" listeners hear {connected}.

import { token } from "./api.js";

const handlers = new Map();
let source = null;
let lastId = null;
let connected = false;
let retryTimer = null;
let retryDelay = 1000;
const MAX_RETRY_DELAY = 10000;
const attached = new Set();

function emit(type, data) {
  for (const handler of handlers.get(type) || []) {
    try {
      handler(data);
    } catch (error) {
      console.error(`event handler for ${type} failed:`, error.message);
    }
  }
}

function setConnected(value) {
  if (value === connected) return;
  connected = value;
  emit("connection", { connected });
}

function listen(type) {
  if (!source || attached.has(type) || type === "connection") return;
  attached.add(type);
  source.addEventListener(type, (message) => {
    if (message.lastEventId) lastId = message.lastEventId;
    let data = null;
    try {
      data = JSON.parse(message.data);
    } catch {
      data = message.data;
    }
    emit(type, data);
  });
}

async function statusOfStream(current) {
  // EventSource hides the status of a refused stream: ask whether the token still works.
  try {
    const response = await fetch("/auth/status", {
      headers: { Authorization: `Bearer ${current}` }, cache: "no-store",
    });
    if (response.ok && (await response.json()).valid === false) return "invalid";
    return response.ok ? "ok" : "down";
  } catch {
    return "down";
  }
}

function scheduleRetry() {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, retryDelay);
  retryDelay = Math.min(retryDelay * 2, MAX_RETRY_DELAY);
}

function open() {
  clearTimeout(retryTimer);
  const current = token();
  if (!current) return;
  const url = new URL("/events", window.location.origin);
  url.searchParams.set("token", current);
  if (lastId !== null) url.searchParams.set("last_event_id", lastId);
  source = new EventSource(url.pathname + url.search);
  attached.clear();
  for (const type of handlers.keys()) listen(type);
  source.addEventListener("open", () => {
    retryDelay = 1000;
    setConnected(true);
  });
  source.addEventListener("error", async () => {
    // The browser's own retry would reuse the first URL (a stale last id): do it here.
    const failed = source;
    failed.close();
    if (source !== failed) return;
    source = null;
    setConnected(false);
    const state = await statusOfStream(current);
    if (token() !== current) {
      // A new token meanwhile (regenerated here or in another tab, a new login): the
      // old one's refusal means nothing; carry on with the new one.
      if (token() && !source) open();
      return;
    }
    if (state === "invalid") {
      emit("token_invalid", {});
      return;
    }
    scheduleRetry();
  });
}

/** Listen to one event type; returns the function that stops listening. */
export function onEvent(type, handler) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(handler);
  listen(type);
  if (type === "connection" && source) handler({ connected });
  return () => handlers.get(type)?.delete(handler);
}

export function isConnected() {
  return connected;
}

/** Open the stream (after login). */
export function start() {
  if (!source) open();
}

/** Close the stream (at logout); the last id is forgotten. */
export function stop() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
  lastId = null;
  retryDelay = 1000;
  setConnected(false);
}

/** Close the stream for a moment, keeping the last id (the token is about to change:
 * the server closes every stream then); reconnect() opens it again. */
export function suspend() {
  clearTimeout(retryTimer);
  if (source) source.close();
  source = null;
}

/** Reconnect now (the "reconnect" button), keeping the last id. */
export function reconnect() {
  if (source) source.close();
  source = null;
  retryDelay = 1000;
  open();
}
