// Settings: every section the server has (GET /settings/schema), each a form generated from
// its own JSON Schema and saved with POST /settings. Nothing here names a plugin's section:
// a plugin installed tomorrow gets its page from its schema. The Sensors section has its
// own editor (GET/POST/PUT/DELETE /sensors, calibration forms from each type's schema).

import { api, ApiError, onLogout, setToken } from "../api.js";
import { onEvent, reconnect, suspend } from "../events.js";
import { FieldProblem, schemaFields } from "../forms/schema_form.js";
import { renderSensors } from "../forms/sensors.js";
import { confirmDialog, h, replace, toast } from "../ui.js";

// Unsaved edits and the server's messages, by section: kept when the form is drawn again
// (a change made elsewhere, leaving the page and coming back). Never a write-only value.
const drafts = new Map();
onLogout(() => drafts.clear());

/** "Camera.pre_roll_seconds: 99 is greater ..." -> "pre_roll_seconds" for section Camera. */
function fieldPath(section, error) {
  const field = error.field || "";
  return field.startsWith(`${section}.`) ? field.slice(section.length + 1) : null;
}

function sectionLink(name, form) {
  return h("li", {},
    h("a", { href: `#/settings/${encodeURIComponent(name)}`, class: "section-link" },
      h("span", { class: "section-name" }, name),
      h("span", { class: "hint" }, form.description || "")));
}

async function renderIndex(container) {
  const forms = await api("/settings/schema");
  const names = Object.keys(forms).filter((name) => name !== "Sensors");
  replace(container,
    h("h1", {}, "Settings"),
    h("ul", { class: "sections", "aria-label": "Settings sections" },
      forms.Sensors ? h("li", {}, h("a", { href: "#/settings/Sensors", class: "section-link" },
        h("span", { class: "section-name" }, "Sensors"),
        h("span", { class: "hint" }, forms.Sensors.description || ""))) : null,
      names.map((name) => sectionLink(name, forms[name]))));
}

function renderPasswordChange() {
  const current = h("input", { id: "password-current", type: "password", autocomplete: "current-password" });
  const next = h("input", { id: "password-new", type: "password", autocomplete: "new-password" });
  const message = h("p", { class: "field-error", role: "alert" });
  const form = h("form", { class: "card stack", novalidate: true },
    h("h2", {}, "Change the password"),
    h("div", { class: "field" }, h("label", { for: current.id }, "Current password"), current),
    h("div", { class: "field" }, h("label", { for: next.id }, "New password"), next),
    h("div", { class: "row" }, h("button", { type: "submit", class: "primary" }, "Change password")),
    message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    try {
      await api("/auth/set-password", { method: "POST", body: { current: current.value, new: next.value } });
      toast("Password changed", "success");
    } catch (error) {
      message.textContent = error.message;
    } finally {
      current.value = "";
      next.value = "";
    }
  });
  return form;
}

/** A new API token, for when the old one may have leaked. This browser switches to it at
 * once; the token itself is never shown (`seccam token` on the camera prints it). */
function renderTokenRegeneration() {
  const button = h("button", { type: "button", class: "danger-outline", id: "regenerate-token" },
    "Regenerate the token");
  const message = h("p", { class: "form-status", role: "status" });
  button.addEventListener("click", async () => {
    const sure = await confirmDialog(
      "Make a new API token? Every other browser, app and script using the old one stops "
      + "working until it is given the new one. This browser carries on.",
      { confirm: "Regenerate" });
    if (!sure) return;
    button.disabled = true;
    message.textContent = "";
    suspend();  // the server closes every event stream: ours reopens with the new token
    try {
      const answer = await api("/auth/regenerate", { method: "POST" });
      setToken(answer.token);
      replace(message, "A new token is in use. Run ", h("code", {}, "seccam token"),
        " on the camera to read it for your apps and scripts.");
    } catch (error) {
      message.textContent = `The token was not changed: ${error.message}`;
    } finally {
      button.disabled = false;
      reconnect();
    }
  });
  return h("section", { class: "card stack", "aria-labelledby": "token-title" },
    h("h2", { id: "token-title" }, "API token"),
    h("p", { class: "hint" }, "Apps, scripts and Home Assistant send the token with every "
      + "request. If it may have leaked, make a new one: the old one stops working at once."),
    h("div", { class: "row" }, button), message);
}

async function renderSection(container, name) {
  const [forms, stored] = await Promise.all([api("/settings/schema"), api("/settings")]);
  const form = forms[name];
  if (!form) {
    replace(container, h("p", {}, h("a", { href: "#/settings" }, "← Settings")),
      h("h1", {}, name), h("p", { class: "error" }, "There is no such settings section."));
    return null;
  }
  if (name === "Sensor") {
    replace(container, h("p", {}, h("a", { href: "#/settings" }, "← Settings")),
      h("h1", {}, name), h("p", {}, form.description),
      h("p", {}, "It is the first sensor of the list: edit it under ",
        h("a", { href: "#/settings/Sensors" }, "Sensors"), "."));
    return null;
  }
  let values = stored[name] || {};
  const status = h("p", { class: "form-status", role: "status" });
  const formError = h("p", { class: "field-error", role: "alert", hidden: true });
  const elsewhere = h("p", { class: "stale-notice", hidden: true },
    "These settings were changed elsewhere. ",
    h("button", { type: "button", class: "link", onclick: () => discard() }, "Show the saved values"));
  const save = h("button", { type: "submit", class: "primary" }, "Save");
  const reset = h("button", { type: "button" }, "Discard changes");
  const slot = h("div", {});
  const element = h("form", { class: "card settings-form", novalidate: true, id: `section-${name}`,
    "aria-labelledby": "section-title" },
  slot, formError, h("div", { class: "row form-actions" }, save, reset), status);
  let fields = null;
  let dirty = drafts.has(name);
  let errors = drafts.get(name)?.errors || [];

  const showFormError = (message) => {
    formError.textContent = message;
    formError.hidden = false;
  };
  const draw = () => {
    const draft = dirty ? drafts.get(name) : null;
    fields = schemaFields(form.schema, { ...values, ...(draft?.values || {}) }, { idPrefix: `s-${name}` });
    replace(slot, fields.element);
    formError.hidden = true;
    for (const [path, message] of errors) {
      if (!path || !fields.showError(path, message)) showFormError(message);
    }
  };
  // Keep the unsaved edits and the messages for the next drawing of this form.
  const remember = () => {
    if (!dirty && !errors.length) {
      drafts.delete(name);
      return;
    }
    let current = {};
    try {
      current = fields.value();
    } catch {
      current = drafts.get(name)?.values || {};
    }
    drafts.set(name, { values: withoutSecrets(current, form.schema), errors });
  };
  const discard = async () => {
    drafts.delete(name);
    dirty = false;
    errors = [];
    values = (await api("/settings"))[name] || {};
    elsewhere.hidden = true;
    status.textContent = "";
    draw();
  };
  reset.addEventListener("click", discard);
  element.addEventListener("input", () => { dirty = true; });
  element.addEventListener("change", () => { dirty = true; });

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    fields.clearErrors();
    errors = [];
    formError.hidden = true;
    status.textContent = "";
    let changes;
    try {
      changes = fields.value();
    } catch (problem) {
      if (problem instanceof FieldProblem) {
        errors = [[problem.path.join("."), problem.message]];
        fields.showError(...errors[0]);
        return;
      }
      throw problem;
    }
    save.disabled = true;
    try {
      const answer = await api("/settings", { method: "POST", body: { [name]: changes } });
      drafts.delete(name);
      dirty = false;
      values = (await api("/settings"))[name] || {};
      elsewhere.hidden = true;
      draw();
      status.textContent = answer.changed.length ? "Saved." : "Saved: nothing had changed.";
      toast(`${name} saved`, "success");
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      const path = fieldPath(name, error);
      errors = [[path, error.message]];
      if (!(path && fields.showError(path, error.message))) showFormError(error.message);
    } finally {
      save.disabled = false;
    }
  });

  draw();
  replace(container,
    h("p", {}, h("a", { href: "#/settings" }, "← Settings")),
    h("h1", { id: "section-title" }, name),
    form.description ? h("p", { class: "hint" }, form.description) : null,
    elsewhere,
    element,
    name === "Auth" ? renderPasswordChange() : null,
    name === "Auth" ? renderTokenRegeneration() : null);

  // Someone else saved this section: show it unless the user is editing it.
  const stop = onEvent("settings_changed", async (data) => {
    if (!data || !Array.isArray(data.sections) || !data.sections.includes(name)) return;
    const fresh = (await api("/settings"))[name] || {};
    if (JSON.stringify(fresh) === JSON.stringify(values)) return;
    if (dirty) {
      elsewhere.hidden = false;
      return;
    }
    values = fresh;
    draw();
  });
  return () => {
    stop();
    remember();
  };
}

/** A draft without anything typed into a write-only field. */
function withoutSecrets(value, schema) {
  if (!schema || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, schema.items));
  const result = {};
  for (const [key, child] of Object.entries(value)) {
    const spec = schema.properties?.[key];
    if (spec?.writeOnly) continue;
    result[key] = withoutSecrets(child, spec);
  }
  return result;
}

export default {
  id: "settings",
  title: "Settings",
  async render(container, params) {
    const [name] = params;
    if (!name) return renderIndex(container);
    if (name === "Sensors") return renderSensors(container);
    return renderSection(container, name);
  },
};
