// Boot, the login screen, the navigation and the hash router (#/live, #/archive,
// #/settings/<Section>, #/system/<part>). Pages are loaded when first visited.

import { api, ApiError, login, logout, onLogout, token, tokenValid } from "./api.js";
import * as events from "./events.js";
import { h, replace } from "./ui.js";
import "./alerts.js"; // health alerts as toasts on every page

/** The pages, in navigation order: each module exports default {id, title, render}. */
export const PAGES = [
  { id: "live", title: "Live", load: () => import("./pages/live.js") },
  { id: "archive", title: "Archive", load: () => import("./pages/archive.js") },
  { id: "settings", title: "Settings", load: () => import("./pages/settings.js") },
  { id: "system", title: "System", load: () => import("./pages/system.js") },
];
const DEFAULT_PAGE = "live";
const SEEN_KEY = "seccam.archive_seen";

const root = document.getElementById("app");
let cleanup = null;
let shell = null;
let routeSerial = 0;
let badgeTimer = null;

function parseRoute() {
  const parts = window.location.hash.replace(/^#\/?/, "").split("/").filter(Boolean)
    .map((part) => decodeURIComponent(part));
  const id = PAGES.some((page) => page.id === parts[0]) ? parts[0] : DEFAULT_PAGE;
  return { id, params: id === parts[0] ? parts.slice(1) : [] };
}

// --- login ---------------------------------------------------------------------------

function showLogin(message = "") {
  leavePage();
  events.stop();
  for (const off of shell?.listeners || []) off();
  shell = null;
  root.className = "login-screen";
  root.removeAttribute("aria-busy");
  const password = h("input", {
    id: "password", type: "password", name: "password", autocomplete: "current-password",
    required: true, autofocus: true,
  });
  const error = h("p", { class: "error", id: "login-error", role: "alert" }, message);
  const submit = h("button", { type: "submit", class: "primary" }, "Log in");
  let countdown = null;

  const wait = (seconds) => {
    clearInterval(countdown);
    let left = seconds;
    submit.disabled = true;
    const tick = () => {
      if (left <= 0) {
        clearInterval(countdown);
        submit.disabled = false;
        error.textContent = "You may try again now.";
        return;
      }
      error.textContent = `Too many failed attempts: try again in ${left} s.`;
      left -= 1;
    };
    tick();
    countdown = setInterval(tick, 1000);
  };

  const form = h("form", { class: "card login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "seccam"),
    h("label", { for: "password" }, "Password"),
    password,
    submit,
    error,
    h("p", { class: "hint" },
      "First start: the password is in first-password.txt in seccam's data folder."));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = "";
    try {
      const ok = await login(password.value);
      password.value = "";
      if (ok) {
        clearInterval(countdown);
        start();
        return;
      }
      error.textContent = "Wrong password.";
      password.focus();
      submit.disabled = false;
    } catch (failure) {
      password.value = "";
      if (failure instanceof ApiError && failure.status === 429) {
        wait(failure.retryAfter ?? 60);
      } else {
        error.textContent = failure.message || "The login failed.";
        submit.disabled = false;
      }
    }
  });
  replace(root, h("main", { id: "main" }, form));
  password.focus();
}

// --- the shell: header, navigation, connection state ----------------------------------

function buildShell() {
  const links = PAGES.map((page) => h("a", {
    href: `#/${page.id}`, id: `nav-${page.id}`, dataset: { page: page.id },
  }, page.title, page.id === "archive"
    ? h("span", { class: "badge", id: "archive-badge", hidden: true, "aria-label": "new recordings" })
    : null));
  const connection = h("div", { class: "connection-lost", id: "connection-lost", role: "alert", hidden: true },
    h("span", {}, "Connection lost: reconnecting…"),
    h("button", { type: "button", onclick: () => events.reconnect() }, "Reconnect"));
  const logoutButton = h("button", { type: "button", id: "logout", class: "link" }, "Log out");
  logoutButton.addEventListener("click", () => logout(""));
  const main = h("main", { id: "main", tabindex: "-1" });
  const header = h("header", { class: "top" },
    h("a", { class: "skip", href: "#main" }, "Skip to content"),
    h("span", { class: "brand" }, "seccam"),
    h("nav", { "aria-label": "Pages" }, links),
    logoutButton);
  root.className = "";
  root.removeAttribute("aria-busy");
  replace(root, header, connection, main);
  const listeners = [
    events.onEvent("connection", ({ connected }) => {
      connection.hidden = connected;
      document.body.classList.toggle("offline", !connected);
    }),
    events.onEvent("token_invalid", () => logout("your session ended: log in again")),
    events.onEvent("archive_updated", (data) => {
      if (data && data.type !== "deleted") scheduleBadge();
    }),
    // After a reconnect, recount: events may have been missed beyond the replay buffer.
    events.onEvent("connection", ({ connected }) => connected && scheduleBadge()),
  ];
  return { main, links, listeners };
}

// --- "new since last visit" badge ------------------------------------------------------

export function markArchiveSeen() {
  localStorage.setItem(SEEN_KEY, new Date().toISOString());
  showBadge(0);
}

function showBadge(count) {
  const badge = document.getElementById("archive-badge");
  if (!badge) return;
  badge.hidden = !count;
  badge.textContent = count > 999 ? "999+" : String(count);
  badge.setAttribute("aria-label", `${count} new since your last visit`);
}

/** Once for a burst of new media, never later than 300 ms, however long it goes on. */
function scheduleBadge() {
  if (badgeTimer !== null) return;
  badgeTimer = setTimeout(() => {
    badgeTimer = null;
    refreshBadge();
  }, 300);
}

async function refreshBadge() {
  if (parseRoute().id === "archive" && document.visibilityState === "visible") {
    markArchiveSeen();
    return;
  }
  let since = localStorage.getItem(SEEN_KEY);
  if (!since) {
    markArchiveSeen();
    return;
  }
  try {
    const { count } = await api("/archive/new_count", { query: { since } });
    showBadge(count);
  } catch {
    // the badge is a hint: a failed count leaves it as it was
  }
}

// --- router --------------------------------------------------------------------------

function leavePage() {
  if (typeof cleanup === "function") {
    try {
      cleanup();
    } catch (error) {
      console.error("leaving the page failed:", error.message);
    }
  }
  cleanup = null;
}

async function route() {
  if (!shell || !token()) return;
  const serial = ++routeSerial;
  const { id, params } = parseRoute();
  const entry = PAGES.find((page) => page.id === id);
  leavePage();
  for (const link of shell.links) {
    if (link.dataset.page === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const container = h("div", { class: `page page-${id}` });
  replace(shell.main, container);
  let module;
  try {
    module = await entry.load();
  } catch (error) {
    replace(container, h("p", { class: "error" }, `This page failed to load: ${error.message}`));
    return;
  }
  if (serial !== routeSerial) return;
  document.title = `${module.default.title || entry.title} · seccam`;
  try {
    cleanup = await module.default.render(container, params);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) {
      replace(container, h("p", { class: "error", role: "alert" }, error.message));
    }
  }
  if (serial !== routeSerial && typeof cleanup === "function") cleanup();
  if (id === "archive") markArchiveSeen();
}

// --- boot ----------------------------------------------------------------------------

function start() {
  shell = buildShell();
  events.start();
  refreshBadge();
  if (!window.location.hash) window.location.hash = `#/${DEFAULT_PAGE}`;
  route();
}

onLogout(({ reason }) => showLogin(reason));
window.addEventListener("hashchange", route);

async function boot() {
  if (!token()) {
    showLogin();
    return;
  }
  try {
    if (!(await tokenValid())) {
      logout("your session ended: log in again");
      return;
    }
  } catch {
    // the server is unreachable: show the dashboard, it says the connection is lost
  }
  start();
}

boot();
