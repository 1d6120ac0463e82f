// The only module that talks HTTP to seccam. The token lives in localStorage and is only
// ever sent in the Authorization header (the SSE stream's ?token= is the one exception,
// because EventSource cannot send headers: see events.js).

const TOKEN_KEY = "seccam.token";
const logoutListeners = new Set();

/** An HTTP answer outside 2xx: `.status`, `.message` (the server's `error`), `.field`
 * (the field a 400 names first, e.g. "port" in "port: must be ..."), `.retryAfter`. */
export class ApiError extends Error {
  constructor(status, message, { field = null, retryAfter = null, body = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
    this.retryAfter = retryAfter;
    this.body = body;
  }
}

export function token() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value) {
  localStorage.setItem(TOKEN_KEY, value);
}

/** Forget the token and tell the app (it shows the login screen). */
export function logout(reason = "") {
  const had = token() !== null;
  localStorage.removeItem(TOKEN_KEY);
  for (const listener of logoutListeners) listener({ reason, had });
}

export function onLogout(listener) {
  logoutListeners.add(listener);
  return () => logoutListeners.delete(listener);
}

// Another tab logged out (or in with a new token): follow it.
window.addEventListener("storage", (event) => {
  if (event.key === TOKEN_KEY && event.newValue === null) logout("logged out elsewhere");
});

function fieldOf(message) {
  const match = /^([A-Za-z_][\w.\-[\]/]*): /.exec(message || "");
  return match ? match[1] : null;
}

function retryAfterOf(response) {
  const raw = response.headers.get("Retry-After");
  if (raw === null) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds));
  const when = Date.parse(raw);
  return Number.isNaN(when) ? null : Math.max(0, Math.round((when - Date.now()) / 1000));
}

function urlOf(path, query) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

async function errorOf(response) {
  let body = null;
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    body = await response.json();
    if (body && typeof body.error === "string") message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message, {
    field: fieldOf(message), retryAfter: retryAfterOf(response), body,
  });
}

async function send(path, { method = "GET", body, query, signal, raw = false, headers = {} } = {}) {
  const current = token();
  const init = { method, headers: { ...headers }, signal, cache: "no-store" };
  if (current) init.headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(urlOf(path, query), init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "the server cannot be reached");
  }
  if (response.status === 401) {
    // Only log out if the token we sent is still the one we hold (not a stale request).
    if (current !== null && current === token()) logout("your session ended: log in again");
    throw await errorOf(response);
  }
  if (!response.ok) throw await errorOf(response);
  if (raw) return response;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("application/json")) return response.json();
  return response.text();
}

/** Call the API: the parsed JSON (or text), ApiError on a non-2xx answer. */
export async function api(path, options = {}) {
  return send(path, options);
}

/** The same call, answering the Response itself (for headers such as X-Total-Count). */
export async function apiResponse(path, options = {}) {
  return send(path, { ...options, raw: true });
}

/** Log in: true and the token kept, false for a wrong password; ApiError (429 with
 * `.retryAfter`) when the login throttle refuses. */
export async function login(password) {
  const response = await fetch("/auth/validate", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ password }),
    cache: "no-store",
  }).catch(() => {
    throw new ApiError(0, "the server cannot be reached");
  });
  if (!response.ok) throw await errorOf(response);
  const answer = await response.json();
  if (!answer.valid || !answer.token) return false;
  setToken(answer.token);
  return true;
}

/** Whether the kept token still works (false: log in again). */
export async function tokenValid() {
  const current = token();
  if (!current) return false;
  const response = await fetch("/auth/status", {
    headers: { Authorization: `Bearer ${current}` }, cache: "no-store",
  });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()).valid !== false;
}

/** An object URL (blob:) for an image or media GET fetched with the Authorization
 * header, so the token never goes into an <img>/<video> URL. Revoke it when done. */
export async function blobUrl(path, query, { signal } = {}) {
  const response = await send(path, { query, signal, raw: true });
  return URL.createObjectURL(await response.blob());
}

/** The path (with query) of an API GET, for code that fetches it itself. */
export function apiUrl(path, query) {
  return urlOf(path, query);
}
