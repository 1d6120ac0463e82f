// Small DOM helpers. Server data only ever enters the page as text nodes or attribute
// values set through h(): never through innerHTML.

/** Build an element: h("button", {class: "x", onclick: fn, "aria-label": "..."}, "text"). */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key in element && typeof value !== "string") {
      element[key] = value;
    } else {
      element.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let toastArea = null;

/** A short message at the bottom of the screen; level is info, success, warning or error. */
export function toast(message, level = "info", { timeout = 5000 } = {}) {
  if (!toastArea) {
    toastArea = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(toastArea);
  }
  const close = h("button", { class: "toast-close", "aria-label": "Dismiss" }, "×");
  const item = h("div", { class: `toast toast-${level}` }, h("span", {}, message), close);
  const remove = () => item.remove();
  close.addEventListener("click", remove);
  toastArea.append(item);
  if (timeout) setTimeout(remove, level === "error" ? timeout * 2 : timeout);
  return remove;
}

/** A modal yes/no question; resolves true for the confirm button. */
export function confirmDialog(message, { confirm = "Delete", cancel = "Cancel" } = {}) {
  return new Promise((resolve) => {
    const yes = h("button", { class: "danger", value: "yes" }, confirm);
    const no = h("button", { value: "no", autofocus: true }, cancel);
    const dialog = h("dialog", { class: "confirm", "aria-label": "Confirm" },
      h("form", { method: "dialog" }, h("p", {}, message), h("div", { class: "row end" }, no, yes)));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "yes");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** "3 s", "2 min", "1 h 5 min". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ""}`.trim();
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "12.3 MB". */
export function bytes(count) {
  const units = ["B", "KB", "MB", "GB"];
  let value = count;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

/** "76.0 GB": one decimal always, so a figure does not change width as it moves. */
export function gigabytes(value) {
  return Number.isFinite(value) ? `${value.toFixed(1)} GB` : "";
}

/** A local date and time, short. */
export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso ?? "");
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}
