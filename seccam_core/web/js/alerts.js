// Health alerts as toasts: every `system_alert` event (a metric changing level), and the
// state in force when the dashboard connects. Imported once by app.js at boot, so the
// toasts come whatever page is open.

import { api, onLogout } from "./api.js";
import { onEvent } from "./events.js";
import { toast } from "./ui.js";

const LABELS = {
  cpu_temp: ["CPU temperature", (value) => `${value} °C`],
  throttle: ["Throttling", () => ""],
  storage: ["Storage", (value) => `${value} % used`],
  sd_health: ["SD card wear", (value) => String(value)],
};
const TOAST_LEVEL = { critical: "error", warn: "warning", ok: "success", unavailable: "info" };
const WORDS = { critical: "critical", warn: "warning", ok: "ok", unavailable: "cannot be read" };

/** "CPU temperature critical (85 °C)": one metric's level, in words ("back to normal"
 * for a change to ok). */
export function alertText(metric, level, value, { change = false } = {}) {
  const [label, format] = LABELS[metric] || [metric.replace(/_/g, " "), (v) => String(v)];
  const shown = value === undefined || value === null || typeof value === "object" ? "" : format(value);
  const word = change && level === "ok" ? "back to normal" : (WORDS[level] || level);
  return `${label} ${word}${shown ? ` (${shown})` : ""}`;
}

let shownAtConnect = false;
onLogout(() => { shownAtConnect = false; }); // the next login hears the state in force

onEvent("system_alert", (data) => {
  for (const change of data?.transitions || []) {
    toast(alertText(change.metric, change.to, data.values?.[change.metric], { change: true }),
      TOAST_LEVEL[change.to] || "info", { timeout: change.to === "ok" ? 5000 : 15000 });
  }
});

onEvent("connection", async ({ connected }) => {
  if (!connected || shownAtConnect) return;
  shownAtConnect = true;
  try {
    const state = await api("/system_alert_state");
    for (const [metric, level] of Object.entries(state.alerts || {})) {
      if (level === "warn" || level === "critical") {
        toast(alertText(metric, level, state.values?.[metric]), TOAST_LEVEL[level], { timeout: 15000 });
      }
    }
  } catch {
    // a hint only: the System page shows the state
  }
});
