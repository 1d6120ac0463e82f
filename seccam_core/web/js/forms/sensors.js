// The Sensors editor: every sensor of GET /sensors as a form built from the Sensors
// section's item schema, its calibration from the chosen type's calibration_schema
// (GET /sensor/types), so a sensor plugin installed tomorrow gets its calibration form.
// Saved with PUT /sensors/<id>, added with POST /sensors, removed with DELETE; "Test"
// reads the pin (POST /sensors/<id>/test).

import { api, ApiError } from "../api.js";
import { onEvent } from "../events.js";
import { confirmDialog, h, replace, toast } from "../ui.js";
import { FieldProblem, OMIT, labelOf, schemaFields } from "./schema_form.js";

function typeSelect(ctx, value, types, onChange) {
  const select = h("select", { id: ctx.id, "aria-describedby": `${ctx.id}-hint ${ctx.id}-error` },
    types.map((type) => h("option", { value: type.type, selected: type.type === value },
      `${type.name} (${type.type})`)));
  if (!types.some((type) => type.type === value) && value) {
    select.prepend(h("option", { value, selected: true }, `${value} (not installed)`));
  }
  const hint = h("p", { class: "hint", id: `${ctx.id}-hint` });
  const describe = () => {
    const type = types.find((entry) => entry.type === select.value);
    hint.textContent = type
      ? [type.description, type.module, type.uses_gpio ? `default pin: GPIO ${type.default_gpio}` : "no pin"]
        .filter(Boolean).join(" · ")
      : "";
  };
  select.addEventListener("change", () => {
    describe();
    onChange(select.value);
  });
  describe();
  const element = h("div", { class: "field field-enum", dataset: { path: ctx.path.join(".") } },
    h("label", { for: ctx.id }, labelOf(ctx.key, ctx.spec)), select, hint,
    h("p", { class: "field-error", id: `${ctx.id}-error`, role: "alert", hidden: true }));
  return { element, value: () => select.value };
}

/** The calibration fieldset, drawn again from the new type's schema when the type changes. */
function calibrationField(ctx, value, types, initialType) {
  const box = h("div", { class: "calibration" });
  let current = null;
  const draw = (typeName, calibration) => {
    const type = types.find((entry) => entry.type === typeName);
    const schema = type?.calibration_schema || { type: "object", properties: {} };
    current = schemaFields(schema, calibration || {}, { idPrefix: `${ctx.id}-cal`, path: ["calibration"] });
    const empty = !Object.keys(schema.properties || {}).length;
    replace(box, empty ? h("p", { class: "hint" }, "This type has nothing to calibrate.") : current.element);
  };
  draw(initialType, value);
  const element = h("fieldset", { class: "field", dataset: { path: "calibration" } },
    h("legend", {}, "Calibration"), box,
    h("p", { class: "field-error", role: "alert", hidden: true }));
  return {
    element,
    value: () => current.value(),
    retype: (typeName) => draw(typeName, {}),
  };
}

function stateText(sensor) {
  if (sensor.error) return `not running: ${sensor.error}`;
  if (!sensor.enabled) return "disabled";
  const parts = [sensor.triggered ? "triggered" : "idle", sensor.armed ? "armed" : "not armed"];
  if (sensor.suppressed) parts.push("suppressed");
  return parts.join(" · ");
}

function sensorForm(itemSchema, types, sensor, { onSaved, onDeleted, isNew = false, open = false }) {
  const prefix = isNew ? "new-sensor" : `sensor-${sensor.id}`;
  let calibration = null;
  const overrides = {
    id: (ctx, value) => {
      if (!isNew) {
        return {
          element: h("p", { class: "hint sensor-id", dataset: { path: "id" } }, `id: ${value}`,
            h("span", { class: "field-error", role: "alert", hidden: true })),
          value: () => OMIT,
        };
      }
      const input = h("input", { id: ctx.id, type: "text", pattern: ctx.spec.pattern, autocomplete: "off" });
      return {
        element: h("div", { class: "field", dataset: { path: "id" } },
          h("label", { for: ctx.id }, "Id (optional)"), input,
          h("p", { class: "hint" }, ctx.spec.description || ""),
          h("p", { class: "field-error", role: "alert", hidden: true })),
        value: () => (input.value.trim() ? input.value.trim() : OMIT),
      };
    },
    type: (ctx, value) => typeSelect(ctx, value, types, (name) => {
      calibration?.retype(name);
      if (isNew) {
        // A new sensor starts on its type's usual pin (none for a pinless type).
        const type = types.find((entry) => entry.type === name);
        const gpio = form.querySelector('[data-path="gpio"] input');
        if (gpio && type) gpio.value = type.uses_gpio && type.default_gpio !== null ? String(type.default_gpio) : "";
      }
    }),
    calibration: (ctx, value) => {
      calibration = calibrationField(ctx, value, types, sensor.type);
      return calibration;
    },
  };
  const fields = schemaFields(itemSchema, sensor, { idPrefix: prefix, overrides });
  const state = h("span", { class: "sensor-state", dataset: { sensor: sensor.id || "" } },
    isNew ? "" : stateText(sensor));
  const result = h("p", { class: "form-status", role: "status" });
  const formError = h("p", { class: "field-error", role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "primary" }, isNew ? "Add sensor" : "Save");
  const buttons = [save];
  if (!isNew) {
    const test = h("button", { type: "button" }, "Test");
    test.addEventListener("click", async () => {
      result.textContent = "Reading the pin…";
      try {
        const answer = await api(`/sensors/${encodeURIComponent(sensor.id)}/test`, { method: "POST" });
        result.textContent = answer.value === null
          ? (answer.message || "Nothing was read.")
          : `GPIO ${answer.gpio} reads ${answer.value ? "HIGH" : "LOW"}.`;
      } catch (error) {
        result.textContent = error.message;
      }
    });
    const remove = h("button", { type: "button", class: "danger" }, "Delete");
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`Delete the sensor "${sensor.name}"?`))) return;
      try {
        await api(`/sensors/${encodeURIComponent(sensor.id)}`, { method: "DELETE" });
        toast(`${sensor.name} deleted`, "success");
        onDeleted();
      } catch (error) {
        formError.textContent = error.message;
        formError.hidden = false;
      }
    });
    buttons.push(test, remove);
  }
  const form = h("form", { class: "sensor", novalidate: true, id: prefix,
    "aria-label": isNew ? "Add a sensor" : `Sensor ${sensor.name}` },
  fields.element, formError, h("div", { class: "row form-actions" }, buttons), result);
  // One line per sensor on a phone: its form opens under it.
  const card = h("details", { class: "card sensor-card", open: open || undefined },
    h("summary", { class: "sensor-head" },
      h("span", { class: "sensor-name" }, isNew ? "Add a sensor" : sensor.name), state),
    form);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fields.clearErrors();
    formError.hidden = true;
    result.textContent = "";
    let body;
    try {
      body = fields.value();
    } catch (problem) {
      if (problem instanceof FieldProblem) {
        fields.showError(problem.path.join("."), problem.message);
        return;
      }
      throw problem;
    }
    save.disabled = true;
    try {
      const saved = isNew
        ? await api("/sensors", { method: "POST", body })
        : await api(`/sensors/${encodeURIComponent(sensor.id)}`, { method: "PUT", body });
      toast(`${saved.name} saved`, "success");
      onSaved(saved);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!(error.field && fields.showError(error.field, error.message))) {
        formError.textContent = error.message;
        formError.hidden = false;
      }
    } finally {
      save.disabled = false;
    }
  });
  return { element: card, state, sensor };
}

/** Draw the Sensors editor into `container`; answers its cleanup. */
export async function renderSensors(container) {
  const [forms, types] = await Promise.all([api("/settings/schema"), api("/sensor/types")]);
  const section = forms.Sensors;
  const itemSchema = section.schema.properties.sensors.items;
  const list = h("div", { class: "sensor-list" });
  let cards = [];

  // After a save the sensor saved stays open; a new one opens at once.
  const draw = async (saved = null) => {
    const { sensors } = await api("/sensors");
    // What POST /sensors fills in for a field left out.
    const fresh = { type: types[0]?.type || "", name: "", gpio: types[0]?.default_gpio ?? null,
      enabled: true, hold_seconds: 10, invert_logic: false, calibration: {}, modes: ["away", "night"] };
    cards = sensors.map((sensor) => sensorForm(itemSchema, types, sensor, {
      onSaved: draw, onDeleted: () => draw(), open: saved?.id === sensor.id,
    }));
    const adding = sensorForm(itemSchema, types, fresh, { onSaved: draw, onDeleted: () => draw(), isNew: true });
    replace(list, cards.map((card) => card.element), adding.element);
  };
  await draw();
  replace(container,
    h("p", {}, h("a", { href: "#/settings" }, "← Settings")),
    h("h1", {}, "Sensors"),
    h("p", { class: "hint" }, section.description || ""),
    list);

  return onEvent("sensor_state", async (data) => {
    if (!data || !data.sensor_id) return;
    const card = cards.find((entry) => entry.sensor.id === data.sensor_id);
    if (!card) return;
    card.state.textContent = stateText({ ...card.sensor, ...data });
    card.state.classList.toggle("triggered", Boolean(data.triggered));
  });
}
