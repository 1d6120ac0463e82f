// Form fields generated from a JSON Schema (GET /settings/schema, a sensor type's
// calibration_schema). Labels come from `title` (else the key), hints from `description`,
// `x-unit` and `default`; bounds, patterns and enums become input attributes. The form is
// `novalidate`: the server is the one judge, and its 400 is shown beside the field it names.
//
// Write-only fields (`writeOnly`) are never pre-filled: an empty password box says whether a
// value is set (the read's `<field>_set`) and the field is sent only when a new value is typed.

import { h } from "../ui.js";

/** What a field's value() answers when nothing is to be sent for it. */
export const OMIT = Symbol("omit");

let serial = 0;

function typesOf(spec) {
  if (Array.isArray(spec.type)) return spec.type;
  return spec.type ? [spec.type] : [];
}

function kindOf(spec) {
  const main = typesOf(spec).filter((type) => type !== "null");
  if (Array.isArray(spec.enum)) return "enum";
  switch (main[0]) {
    case "boolean": return "boolean";
    case "integer":
    case "number": return "number";
    case "string": return "string";
    case "array":
      return spec.items && Array.isArray(spec.items.enum) ? "choices" : "list";
    case "object":
      return spec.properties ? "object" : "json";
    default:
      return "json";
  }
}

function nullable(spec) {
  return typesOf(spec).includes("null");
}

/** "pre_roll_seconds" -> "Pre roll seconds". */
export function labelOf(key, spec = {}) {
  if (spec.title) return spec.title;
  const words = String(key).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function shown(value) {
  if (value === null) return "none";
  if (value === true) return "on";
  if (value === false) return "off";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "none";
  if (typeof value === "object") return JSON.stringify(value);
  return value === "" ? "empty" : String(value);
}

function boundsText(spec) {
  const parts = [];
  const unit = spec["x-unit"] ? ` ${spec["x-unit"]}` : "";
  if (spec.minimum !== undefined && spec.maximum !== undefined) {
    parts.push(`${spec.minimum} to ${spec.maximum}${unit}`);
  } else if (spec.minimum !== undefined) {
    parts.push(`at least ${spec.minimum}${unit}`);
  } else if (spec.maximum !== undefined) {
    parts.push(`at most ${spec.maximum}${unit}`);
  }
  if (spec.maxLength !== undefined) parts.push(`up to ${spec.maxLength} characters`);
  if (spec.maxItems !== undefined) parts.push(`up to ${spec.maxItems} entries`);
  return parts.join("; ");
}

/** Where a field's messages go: the hint under it and the error the server names. */
function frame(ctx, label, control, { group = false, extra = [] } = {}) {
  const id = ctx.id;
  const spec = ctx.spec;
  const hintParts = [];
  if (spec.description) hintParts.push(spec.description);
  const bounds = boundsText(spec);
  if (bounds) hintParts.push(bounds);
  if (spec.default !== undefined && !spec.writeOnly && !spec.readOnly) {
    hintParts.push(`default: ${shown(spec.default)}`);
  }
  if (spec.readOnly) hintParts.push("set in settings.json only");
  const hint = h("p", { class: "hint", id: `${id}-hint` }, hintParts.join(" · "));
  const error = h("p", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true });
  const describedBy = `${id}-hint ${id}-error`;
  const single = control.matches("input, select, textarea");
  if (single) control.setAttribute("aria-describedby", describedBy);
  const head = group
    ? h("legend", {}, label)
    : h("label", { for: id }, label, spec["x-unit"] ? h("span", { class: "unit" }, ` (${spec["x-unit"]})`) : null);
  const wrapper = h(group ? "fieldset" : "div", {
    class: `field field-${kindOf(spec)}`, dataset: { path: ctx.path.join(".") },
    "aria-describedby": single ? undefined : describedBy,
  }, head, control, ...extra, hint, error);
  return wrapper;
}

function context(parent, key, spec) {
  serial += 1;
  const path = [...parent.path, key];
  const safe = path.join("-").replace(/[^A-Za-z0-9_-]/g, "_");
  return {
    ...parent,
    root: false,
    spec,
    key,
    path,
    id: `${parent.idPrefix}-${safe}-${serial}`,
    disabled: parent.disabled || Boolean(spec.readOnly),
  };
}

// --- scalars -------------------------------------------------------------------------

function booleanField(ctx, value) {
  const input = h("input", {
    id: ctx.id, type: "checkbox", role: "switch", class: "toggle", checked: value === true,
    disabled: ctx.disabled,
  });
  const element = frame(ctx, labelOf(ctx.key, ctx.spec), input);
  element.classList.add("field-inline");
  return { element, value: () => input.checked };
}

function numberField(ctx, value) {
  const spec = ctx.spec;
  const integer = typesOf(spec).includes("integer");
  const input = h("input", {
    id: ctx.id, type: "number", inputmode: integer ? "numeric" : "decimal",
    min: spec.minimum, max: spec.maximum,
    step: spec.multipleOf ?? (integer ? 1 : "any"),
    value: value === null || value === undefined ? "" : String(value),
    placeholder: nullable(spec) ? "none" : undefined,
    disabled: ctx.disabled,
  });
  return {
    element: frame(ctx, labelOf(ctx.key, spec), input),
    value: () => {
      if (input.value.trim() === "") return null;  // nullable, or the server says it's needed
      const number = Number(input.value);
      return Number.isFinite(number) ? number : input.value;
    },
  };
}

function stringField(ctx, value) {
  const spec = ctx.spec;
  if (spec.writeOnly) return secretField(ctx);
  const long = (spec.maxLength ?? 0) > 500;
  const input = h("input", {
    id: ctx.id, type: /url|https?/i.test(spec.pattern || "") && !long ? "url" : "text",
    maxlength: spec.maxLength, minlength: spec.minLength, pattern: spec.pattern,
    value: value === null || value === undefined ? "" : String(value),
    placeholder: nullable(spec) ? "none" : undefined,
    autocomplete: "off", spellcheck: "false", autocapitalize: "off",
    disabled: ctx.disabled,
  });
  if (input.type === "url") input.type = "text";  // the server judges URLs (rtsp:// too)
  if (/2\[0-3\]\):\(?\[0-5\]\[0-9\]\)?\$$/.test(spec.pattern || "")) {
    input.type = "time";  // HH:MM: a phone's time picker gives exactly that
    input.removeAttribute("pattern");
  }
  return {
    element: frame(ctx, labelOf(ctx.key, spec), input),
    value: () => (input.value === "" && nullable(spec) ? null : input.value),
  };
}

function enumField(ctx, value) {
  const spec = ctx.spec;
  const options = spec.enum.map((choice) => h("option", {
    value: JSON.stringify(choice), selected: choice === value,
  }, choice === null ? "(none)" : String(choice)));
  if (!spec.enum.includes(value) && value !== undefined && value !== null) {
    options.unshift(h("option", { value: JSON.stringify(value), selected: true }, String(value)));
  }
  const select = h("select", { id: ctx.id, disabled: ctx.disabled }, options);
  return {
    element: frame(ctx, labelOf(ctx.key, spec), select),
    value: () => JSON.parse(select.value),
  };
}

/** A write-only secret: an empty password box, a set/not-set hint, sent only when typed. */
function secretField(ctx) {
  const spec = ctx.spec;
  const isSet = ctx.markers ? ctx.markers[`${ctx.key}_set`] === true : false;
  const list = kindOf(spec) === "list";
  const input = list
    ? h("textarea", {
      id: ctx.id, rows: 2, autocomplete: "off", spellcheck: "false", autocapitalize: "off",
      class: "secret", placeholder: isSet ? "set: type to replace (one per line)" : "one per line",
    })
    : h("input", {
      id: ctx.id, type: "password", autocomplete: "new-password", value: "",
      placeholder: isSet ? "set: type to replace" : "not set",
    });
  input.disabled = ctx.disabled;
  const status = h("span", { class: `secret-state ${isSet ? "is-set" : "not-set"}` },
    isSet ? "set" : "not set");
  const clear = h("input", { type: "checkbox", id: `${ctx.id}-clear` });
  const clearLabel = isSet
    ? h("label", { class: "inline", for: `${ctx.id}-clear` }, clear, " clear it")
    : null;
  clear.addEventListener("change", () => {
    input.disabled = clear.checked || ctx.disabled;
    if (clear.checked) input.value = "";
  });
  const element = frame(ctx, labelOf(ctx.key, spec), input,
    { extra: [h("div", { class: "row secret-row" }, status, clearLabel)] });
  element.classList.add("field-secret");
  return {
    element,
    value: () => {
      if (clear.checked) return list ? [] : (nullable(spec) ? null : "");
      if (list) {
        const lines = input.value.split("\n").map((line) => line.trim()).filter(Boolean);
        return lines.length ? lines : OMIT;
      }
      return input.value === "" ? OMIT : input.value;
    },
    secret: true,
  };
}

function jsonField(ctx, value) {
  const area = h("textarea", {
    id: ctx.id, rows: 3, spellcheck: "false", autocapitalize: "off", class: "json",
    disabled: ctx.disabled,
  });
  area.value = value === undefined ? "" : JSON.stringify(value, null, 2);
  const element = frame(ctx, labelOf(ctx.key, ctx.spec), area);
  return {
    element,
    value: () => {
      if (area.value.trim() === "") return nullable(ctx.spec) ? null : {};
      try {
        return JSON.parse(area.value);
      } catch {
        throw new FieldProblem(ctx.path, "not valid JSON");
      }
    },
  };
}

/** A problem found before sending (JSON that does not parse), shown like a server's 400. */
export class FieldProblem extends Error {
  constructor(path, message) {
    super(message);
    this.path = path;
  }
}

// --- groups --------------------------------------------------------------------------

function choicesField(ctx, value) {
  const spec = ctx.spec;
  const chosen = new Set(Array.isArray(value) ? value : []);
  const boxes = spec.items.enum.map((choice) => {
    const box = h("input", {
      type: "checkbox", value: JSON.stringify(choice), checked: chosen.has(choice),
      disabled: ctx.disabled, id: `${ctx.id}-${String(choice).replace(/\W/g, "_")}`,
    });
    return { box, choice, element: h("label", { class: "choice", for: box.id }, box, ` ${choice}`) };
  });
  const group = h("div", { class: "choices", id: ctx.id }, boxes.map((entry) => entry.element));
  return {
    element: frame(ctx, labelOf(ctx.key, spec), group, { group: true }),
    value: () => boxes.filter((entry) => entry.box.checked).map((entry) => entry.choice),
  };
}

function emptyOf(spec) {
  if (spec.default !== undefined) return structuredClone(spec.default);
  switch (kindOf(spec)) {
    case "object": {
      const item = {};
      for (const [key, child] of Object.entries(spec.properties)) {
        if (child.default !== undefined) item[key] = structuredClone(child.default);
      }
      return item;
    }
    case "boolean": return false;
    case "list":
    case "choices": return [];
    case "string": return "";
    default: return null;
  }
}

function listField(ctx, value) {
  const spec = ctx.spec;
  if (spec.writeOnly) return secretField(ctx);
  const itemSpec = spec.items || {};
  const itemsBox = h("div", { class: "list-items" });
  let items = [];
  const label = labelOf(ctx.key, spec);
  const add = h("button", { type: "button", class: "small", disabled: ctx.disabled,
    "aria-label": `Add to ${label}` }, "Add");

  // An item redrawn keeps what the read said of its secrets (`secret_set`), never a value.
  const kept = (item) => {
    const now = item.node.value();
    const plain = (v) => v && typeof v === "object" && !Array.isArray(v);
    return plain(now) && plain(item.origin) ? { ...item.origin, ...now } : now;
  };
  const draw = (values) => {
    items = values.map((itemValue, index) => {
      const itemCtx = context(ctx, String(index), { ...itemSpec, title: `${label} ${index + 1}` });
      itemCtx.markers = itemValue && typeof itemValue === "object" ? itemValue : null;
      const node = fieldFor(itemCtx, itemValue);
      const remove = h("button", {
        type: "button", class: "small remove", disabled: ctx.disabled,
        "aria-label": `Remove ${label} ${index + 1}`,
      }, "Remove");
      remove.addEventListener("click", () => {
        const current = items.map(kept);
        current.splice(index, 1);
        draw(current);
        ctx.onRedraw?.();
      });
      return { node, origin: itemValue, element: h("div", { class: "list-item" }, node.element, remove) };
    });
    itemsBox.replaceChildren(...items.map((item) => item.element));
    add.disabled = ctx.disabled || (spec.maxItems !== undefined && items.length >= spec.maxItems);
  };
  add.addEventListener("click", () => {
    const current = items.map(kept);
    current.push(emptyOf(itemSpec));
    draw(current);
    ctx.onRedraw?.();
  });
  draw(Array.isArray(value) ? value : []);
  const body = h("div", { class: "list", id: ctx.id }, itemsBox, add);
  return {
    element: frame(ctx, label, body, { group: true }),
    value: () => items.map((item) => item.node.value()).map((v) => (v === OMIT ? null : v)),
  };
}

function objectField(ctx, value) {
  const spec = ctx.spec;
  const group = objectFields(ctx, value && typeof value === "object" ? value : emptyOf(spec));
  if (!nullable(spec) || ctx.root) {
    return {
      element: ctx.root ? group.element
        : frame(ctx, labelOf(ctx.key, spec), group.element, { group: true }),
      value: group.value,
      fields: group.fields,
    };
  }
  // A nullable object (ntfy: null when not used): a switch turns it on.
  const use = h("input", {
    type: "checkbox", role: "switch", class: "toggle", id: `${ctx.id}-use`,
    checked: value !== null && value !== undefined, disabled: ctx.disabled,
  });
  const toggle = () => { group.element.hidden = !use.checked; };
  use.addEventListener("change", toggle);
  toggle();
  const element = frame(ctx, labelOf(ctx.key, spec),
    h("div", {}, h("label", { class: "inline", for: use.id }, use, ` use ${labelOf(ctx.key, spec)}`),
      group.element), { group: true });
  return { element, value: () => (use.checked ? group.value() : null), fields: group.fields };
}

/** The fields of an object schema; value() answers only what is to be sent. */
function objectFields(ctx, value) {
  const spec = ctx.spec;
  const fields = {};
  const children = [];
  const properties = spec.properties || {};
  const order = [...(spec["x-order"] || []), ...Object.keys(properties)]
    .filter((key, index, all) => key in properties && all.indexOf(key) === index);
  for (const key of order) {
    const child = properties[key];
    const childCtx = context(ctx, key, child);
    childCtx.markers = value;
    childCtx.required = (spec.required || []).includes(key);
    const override = ctx.overrides?.[childCtx.path.join(".")];
    const node = override ? override(childCtx, value?.[key]) : fieldFor(childCtx, value?.[key]);
    if (!node) continue;
    fields[key] = node;
    children.push(node.element);
  }
  const element = h("div", { class: "fields" }, children);
  return {
    element,
    fields,
    value: () => {
      const result = {};
      for (const [key, node] of Object.entries(fields)) {
        if (spec.properties[key]?.readOnly) continue;
        const fieldValue = node.value();
        if (fieldValue !== OMIT) result[key] = fieldValue;
      }
      return result;
    },
  };
}

/** The field of one schema node (recursively for objects and lists). */
export function fieldFor(ctx, value) {
  const spec = ctx.spec;
  const current = value === undefined ? spec.default : value;
  switch (kindOf(spec)) {
    case "boolean": return booleanField(ctx, current);
    case "number": return numberField(ctx, current);
    case "string": return stringField(ctx, current);
    case "enum": return enumField(ctx, current);
    case "choices": return choicesField(ctx, current);
    case "list": return listField(ctx, current);
    case "object": return objectField(ctx, current);
    default: return jsonField(ctx, current);
  }
}

/**
 * The fields of a whole object schema, to put in a <form novalidate>.
 * `values` is what a read shows (with `<field>_set` markers); `overrides` maps a field's
 * dotted path to a function (ctx, value) -> node for fields a page draws itself.
 * Answers {element, value(), showError(path, message), clearErrors()}.
 */
export function schemaFields(schema, values, {
  idPrefix = "f", overrides = {}, disabled = false, path = [],
} = {}) {
  const root = { path, idPrefix, overrides, disabled, spec: schema, key: "" };
  const form = {};
  root.onRedraw = () => form.reapply?.();
  const node = objectField({ ...root, root: true, id: `${idPrefix}-root` }, values || {});
  const errors = new Map();

  const place = (path, message) => {
    const parts = String(path || "").split(".").filter(Boolean);
    for (let length = parts.length; length > 0; length -= 1) {
      const wanted = parts.slice(0, length).join(".");
      const target = [...node.element.querySelectorAll("[data-path]")]
        .find((element) => element.dataset.path === wanted);
      if (target) {
        const error = target.querySelector(":scope > .field-error");
        error.textContent = message;
        error.hidden = false;
        target.classList.add("invalid");
        for (const input of target.querySelectorAll(":scope > input, :scope > select, :scope > textarea, :scope > div > input")) {
          input.setAttribute("aria-invalid", "true");
        }
        return true;
      }
    }
    return false;
  };

  Object.assign(form, {
    element: node.element,
    fields: node.fields,
    value: node.value,
    /** Show a message beside the field at `path` (dots; list items by index); false
     * when no field of the form is on that path. Kept across redraws of lists. */
    showError(path, message) {
      errors.set(path, message);
      return place(path, message);
    },
    clearErrors() {
      errors.clear();
      for (const element of node.element.querySelectorAll(".field-error")) {
        element.textContent = "";
        element.hidden = true;
      }
      for (const element of node.element.querySelectorAll(".invalid")) element.classList.remove("invalid");
      for (const element of node.element.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
    },
    errors,
    reapply() {
      for (const [path, message] of errors) place(path, message);
    },
  });
  return form;
}
