// System: health and stats, the event history, logs, script logs, updates, restart and reboot, storage,
// Bluetooth devices and the captive portal, one part per #/system/<part>. Health alerts
// come as toasts on every page (alerts.js). Server data enters the page as text only.

import { api, ApiError, blobUrl } from "../api.js";
import { alertText } from "../alerts.js";
import { onEvent } from "../events.js";
import { bytes, confirmDialog, duration, gigabytes, h, replace, toast, when } from "../ui.js";

const PARTS = [
  ["stats", "Health"],
  ["history", "Events"],
  ["logs", "Logs"],
  ["scripts", "Script logs"],
  ["update", "Update"],
  ["power", "Restart"],
  ["storage", "Storage"],
  ["bluetooth", "Bluetooth"],
  ["portal", "Captive portal"],
];

function stat(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value ?? "—"));
}

function errorLine(error) {
  return h("p", { class: "error", role: "alert" }, error.message || String(error));
}

function busy(button, work) {
  return async (...args) => {
    button.disabled = true;
    try {
      return await work(...args);
    } finally {
      button.disabled = false;
    }
  };
}

// --- health and stats ------------------------------------------------------------------

async function renderStats(box) {
  const draw = async () => {
    const [stats, alerts] = await Promise.all([api("/system_stats"), api("/system_alert_state")]);
    const ram = stats.ram_usage_mb || {};
    const disk = stats.storage_info_gb || {};
    const levels = Object.entries(alerts.alerts || {}).map(([metric, level]) =>
      h("li", { class: `level-${level}` }, alertText(metric, level, alerts.values?.[metric])));
    replace(box,
      h("h2", {}, "Health: ", h("span", { class: `level-${alerts.overall}`, id: "overall-level" }, alerts.overall)),
      h("ul", { class: "alert-levels" }, levels),
      h("h2", {}, "Stats"),
      h("dl", { class: "stats", id: "stats" },
        stat("CPU temperature", stats.cpu_temp_celsius === null ? "not available" : `${stats.cpu_temp_celsius} °C`),
        stat("CPU load", stats.cpu_load_percent === null ? "measuring…" : `${stats.cpu_load_percent} %`),
        stat("Cores", (stats.cpu_per_core_percent || []).map((value) => `${value} %`).join(" · ") || String(stats.cpu_count)),
        stat("Load average", stats.load_average ? `${stats.load_average["1m"]} / ${stats.load_average["5m"]} / ${stats.load_average["15m"]}` : null),
        stat("Memory", `${ram.used_mb} of ${ram.total_mb} MB`),
        stat("Storage", `${gigabytes(disk.used_gb)} of ${gigabytes(disk.total_gb)}`),
        stat("Swap", stats.swap ? `${stats.swap.used_mb} of ${stats.swap.total_mb} MB` : null),
        stat("Up for", duration(stats.uptime_seconds)),
        stat("Throttling", stats.throttle === null ? "not available" : stats.throttle.raw),
        stat("SD card wear", stats.sd_health?.life_time_est ?? "not available"),
        stat("Processes", stats.process_count),
        stat("Host", stats.hostname),
        stat("System", stats.platform ? `${stats.platform.os} (${stats.platform.architecture})` : null),
        stat("Python", stats.platform?.python),
        stat("Version", stats.git_commit ? `${stats.git_branch || "?"} @ ${stats.git_commit}` : "not a git checkout"),
        stat("Network", stats.network_io ? `${bytes(stats.network_io.bytes_recv)} in · ${bytes(stats.network_io.bytes_sent)} out` : null)));
  };
  await draw();
  const timer = setInterval(() => draw().catch(() => {}), 10000);
  const stop = onEvent("system_alert", () => draw().catch(() => {}));
  return () => {
    clearInterval(timer);
    stop();
  };
}

// --- event history -------------------------------------------------------------------

/** The history's types, grouped as an owner asks "what happened to ...". */
const HISTORY_GROUPS = [
  ["", "everything"],
  ["sensor_trigger,sensor_release,incident", "sensors and incidents"],
  ["recording_started,recording_stopped,recording_failed,recording_saved,snapshot_saved,timelapse_saved", "recordings and snapshots"],
  ["arm_mode,someone_home,nobody_home,presence_change", "arm mode and presence"],
  ["health_alert,camera_down,camera_up,storage_cleanup,system_power", "health, camera and storage"],
];
const HISTORY_PERIODS = [[3600, "the last hour"], [86400, "the last 24 hours"], [7 * 86400, "the last 7 days"], [0, "all kept"]];
/** The bus events the history keeps rows for: each may add one, so the list reloads. */
const HISTORY_SOURCES = ["sensor_state", "recording_state", "archive_updated", "system_alert",
  "presence_change", "presence_state", "camera_state", "storage_cleanup", "system_power",
  "incident", "arming_state"];

/** A list of entries answered by the server, newest answer drawn only: ``fetchItems()``
 * returns the entries, ``item(entry)`` draws one, ``counted(entries)`` says how many. */
function answeredList({ id, className = "log-list", fetchItems, item, counted }) {
  const list = h("ol", { class: className, id: `${id}-entries`, "aria-live": "polite" });
  const count = h("p", { class: "hint", id: `${id}-count`, role: "status" });
  let serial = 0;
  let timer = null;
  const load = async () => {
    const mine = ++serial;
    try {
      const entries = await fetchItems();
      if (mine !== serial) return;
      replace(list, entries.map(item));
      count.textContent = counted(entries);
    } catch (error) {
      if (mine === serial) replace(list, h("li", {}, errorLine(error)));
    }
  };
  // soon(): after a pause in typing (each call restarts the wait). batched(): once for
  // a burst of events, never later than 300 ms, however long the burst goes on.
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      load();
    }, 300);
  };
  const batched = () => {
    if (timer === null) timer = setTimeout(() => {
      timer = null;
      load();
    }, 300);
  };
  return { list, count, load, soon, batched, stop: () => clearTimeout(timer) };
}

function field(control, label) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

async function renderHistory(box) {
  const group = h("select", { id: "history-type" }, HISTORY_GROUPS.map(([value, label]) => h("option", { value }, label)));
  const period = h("select", { id: "history-period" }, HISTORY_PERIODS.map(([value, label]) => h("option", { value }, label)));
  period.value = "86400";
  const shown = answeredList({
    id: "history",
    className: "log-list history-list",
    fetchItems: () => {
      const seconds = Number(period.value);
      const query = { type: group.value, limit: 500 };
      if (seconds) query.since = String(Date.now() / 1000 - seconds);
      return api("/events/history", { query });
    },
    item: (entry) => h("li", { class: `history-${entry.severity}`, dataset: { type: entry.type } },
      h("time", { class: "log-ts", datetime: entry.timestamp }, `${when(entry.timestamp)} `),
      h("span", { class: "log-level" }, entry.severity),
      h("span", { class: "log-message" }, ` ${entry.detail}`)),
    counted: (entries) => (entries.length === 500 ? "the newest 500 events" : `${entries.length} events, newest first`),
  });
  for (const control of [group, period]) control.addEventListener("change", shown.load);
  // A row is written a moment after its event, and every read waits for what is pending,
  // so one reload shortly after a burst of events shows them all.
  const stops = HISTORY_SOURCES.map((type) => onEvent(type, shown.batched));
  // Every kind of the chosen period, as a spreadsheet opens it (GET /event_history/csv).
  const csv = h("button", { type: "button", id: "history-csv" }, "Download CSV");
  csv.addEventListener("click", busy(csv, async () => {
    try {
      const seconds = Number(period.value);
      const url = await blobUrl("/event_history/csv", { hours: seconds ? seconds / 3600 : 4380 });
      const link = h("a", { href: url, download: `seccam-events-${new Date().toISOString().slice(0, 10)}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      toast(error.message || String(error), "error");
    }
  }));
  replace(box,
    h("h2", {}, "Event history"),
    h("div", { class: "log-filters history-filters" },
      field(group, "Show"), field(period, "From"),
      h("button", { type: "button", onclick: shown.load }, "Refresh"), csv),
    shown.count, shown.list);
  await shown.load();
  return () => {
    shown.stop();
    for (const stop of stops) stop();
  };
}

// --- logs ----------------------------------------------------------------------------

async function renderLogs(box) {
  const source = h("select", { id: "log-source" },
    h("option", { value: "/logs" }, "seccam"), h("option", { value: "/logs/mediamtx" }, "MediaMTX"));
  const level = h("select", { id: "log-level" },
    ["", "ERROR", "WARNING", "INFO", "DEBUG"].map((value) => h("option", { value }, value || "every level")));
  const search = h("input", { id: "log-search", type: "search", autocomplete: "off", placeholder: "words to find" });
  const limit = h("select", { id: "log-limit" }, [200, 500, 2000].map((value) => h("option", { value }, String(value))));
  const shown = answeredList({
    id: "log",
    fetchItems: () => api(source.value, {
      query: { level: level.value, search: search.value.trim(), limit: limit.value },
    }),
    item: (entry) => h("li", { class: `log-${entry.level || "OTHER"}` },
      h("span", { class: "log-ts" }, entry.ts ? `${entry.ts} ` : ""),
      h("span", { class: "log-level" }, entry.level || ""),
      h("span", { class: "log-source" }, entry.source ? `${entry.source}: ` : ""),
      h("span", { class: "log-message" }, entry.message)),
    counted: (entries) => `${entries.length} entries, newest first`,
  });
  for (const control of [source, level, limit]) control.addEventListener("change", shown.load);
  search.addEventListener("input", shown.soon);
  replace(box,
    h("div", { class: "log-filters" },
      field(source, "Log"), field(level, "Level"), field(search, "Search"), field(limit, "Entries"),
      h("button", { type: "button", onclick: shown.load }, "Refresh")),
    shown.count, shown.list);
  await shown.load();
  return shown.stop;
}

// --- script logs ---------------------------------------------------------------------

async function renderScripts(box) {
  const logs = await api("/logs/scripts");
  const text = h("pre", { class: "script-log", id: "script-log", hidden: true, tabindex: "0" });
  const open = async (name) => {
    const [category, ...rest] = name.split("/");
    try {
      text.textContent = await api(`/logs/script/${encodeURIComponent(category)}/${encodeURIComponent(rest.join("/"))}`);
    } catch (error) {
      text.textContent = error.message;
    }
    text.hidden = false;
    text.focus();
  };
  replace(box,
    h("h2", {}, "Script logs"),
    logs.length
      ? h("ul", { class: "sections" }, logs.map((log) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => open(log.name) }, log.name),
        h("span", { class: "hint" }, ` ${bytes(log.size)} · ${new Date(log.mtime * 1000).toLocaleString()}`))))
      : h("p", { class: "hint" }, "No install, update or setup script has written a log yet."),
    text);
}

// --- update, restart, reboot -----------------------------------------------------------

async function renderUpdate(box) {
  const result = h("div", { id: "update-result", role: "status" });
  const check = h("button", { type: "button", class: "primary" }, "Check for updates");
  check.addEventListener("click", busy(check, async () => {
    replace(result, h("p", { class: "hint" }, "Fetching (up to 20 s)…"));
    try {
      const answer = await api("/system/update/check");
      if (answer.error) {
        replace(result, h("p", { class: "error" }, answer.error));
      } else if (answer.available) {
        replace(result,
          h("p", {}, `${answer.commits_behind} new commit(s) on ${answer.branch}: ${answer.local_commit} → ${answer.remote_commit}`),
          h("pre", { class: "script-log" }, answer.summary || ""));
      } else {
        replace(result, h("p", {}, `Up to date (${answer.branch || ""} ${answer.local_commit || ""}).`));
      }
    } catch (error) {
      replace(result, errorLine(error));
    }
  }));
  replace(box, h("h2", {}, "Update"), h("div", { class: "row" }, check), result);
}

async function renderPower(box) {
  const result = h("p", { id: "power-result", role: "status" });
  const action = (path, question, confirm) => {
    const button = h("button", { type: "button", class: "danger" }, confirm);
    button.addEventListener("click", busy(button, async () => {
      if (!(await confirmDialog(question, { confirm }))) {
        result.textContent = "Nothing was done.";
        return;
      }
      try {
        const answer = await api(path, { method: "POST" });
        result.textContent = answer.in_progress
          ? `A ${answer.in_progress} is already under way.` : answer.message;
      } catch (error) {
        result.textContent = error.message;
      }
    }));
    return button;
  };
  replace(box,
    h("h2", {}, "Restart and reboot"),
    h("p", { class: "hint" }, "Recording stops while seccam restarts; a reboot takes the camera away for a minute or two."),
    h("div", { class: "row" },
      action("/system/restart", "Restart the seccam service now?", "Restart seccam"),
      action("/system/reboot", "Reboot the whole device now?", "Reboot device")),
    result);
}

// --- storage -------------------------------------------------------------------------

async function renderStorage(box) {
  const result = h("div", { id: "cleanup-result", role: "status" });
  const draw = async () => {
    const status = await api("/storage/status");
    const clean = h("button", { type: "button" }, "Clean up now");
    clean.addEventListener("click", busy(clean, async () => {
      if (!(await confirmDialog(
        `Delete the oldest recordings until the disk is under ${status.max_percent} %?`, { confirm: "Clean up" }))) return;
      try {
        const report = await api("/storage/cleanup", { method: "POST" });
        const words = {
          skipped: "Auto-delete is off: nothing was deleted.",
          ok: `Under the threshold (${report.disk_percent} %): nothing to delete.`,
          cleaned: `Deleted ${report.deleted?.length ?? 0} recording(s), ${report.freed_mb} MB freed.`,
          insufficient: report.error || "Deleting every recording would not be enough: nothing was deleted.",
        };
        replace(result, h("p", {}, words[report.action] || report.action));
        await draw();
      } catch (error) {
        replace(result, errorLine(error));
      }
    }));
    replace(content,
      h("dl", { class: "stats", id: "storage-status" },
        stat("Used", `${status.disk_percent} % (${gigabytes(status.disk_used_gb)} of ${gigabytes(status.disk_total_gb)})`),
        stat("Free", gigabytes(status.disk_free_gb)),
        stat("Auto-delete", status.enabled ? `on, above ${status.max_percent} %` : "off"),
        stat("Recordings", `${status.recordings.count} · ${bytes(status.recordings.bytes)}`),
        stat("Snapshots", `${status.snapshots.count} · ${bytes(status.snapshots.bytes)}`),
        stat("Timelapses", `${status.timelapses.count} · ${bytes(status.timelapses.bytes)}`)),
      h("div", { class: "row" }, clean,
        h("a", { href: "#/settings/StorageLimit" }, "Auto-delete settings")));
  };
  const content = h("div", {});
  replace(box, h("h2", {}, "Storage"), content, result);
  await draw();
}

// --- Bluetooth -----------------------------------------------------------------------

const PAIRING_SECONDS = 90;

async function renderBluetooth(box) {
  const tracked = h("div", { id: "bt-tracked" });
  const found = h("div", { id: "bt-found" });
  const message = h("p", { role: "status", id: "bt-message" });

  const add = async (address, name) => {
    try {
      const answer = await api("/devices/bt/add", { method: "POST", body: name ? { address, name } : { address } });
      toast(answer.message, "success");
      await draw();
    } catch (error) {
      message.textContent = error.message;
    }
  };
  const remove = async (device) => {
    if (!(await confirmDialog(`Stop tracking ${device.name || device.address} and unpair it?`, { confirm: "Remove" }))) return;
    try {
      await api("/devices/bt/remove", { method: "POST", body: { address: device.address } });
      await draw();
    } catch (error) {
      message.textContent = error.message;
    }
  };
  const draw = async () => {
    let state;
    try {
      state = await api("/bt/devices");
    } catch (error) {
      replace(tracked, errorLine(error));
      return;
    }
    replace(tracked,
      state.error ? h("p", { class: "error" }, state.error) : null,
      h("p", {}, state.someone_home ? "Someone is home." : "Nobody is home."),
      state.devices.length
        ? h("table", { class: "plain" }, h("tbody", {}, state.devices.map((device) => h("tr", {},
          h("td", {}, device.name || device.address), h("td", {}, device.address),
          h("td", {}, device.present ? "home" : "away"),
          h("td", {}, h("button", { type: "button", class: "small", onclick: () => remove(device),
            "aria-label": `Remove ${device.name || device.address}` }, "Remove"))))))
        : h("p", { class: "hint" }, "No device is tracked."));
  };
  const scan = h("button", { type: "button", class: "primary" }, "Scan for devices");
  scan.addEventListener("click", busy(scan, async () => {
    replace(found, h("p", { class: "hint" }, "Scanning…"));
    try {
      const { devices } = await api("/bt/scan", { method: "POST", body: {} });
      replace(found, devices.length
        ? h("table", { class: "plain" }, h("tbody", {}, devices.map((device) => h("tr", {},
          h("td", {}, device.name || "(no name)"), h("td", {}, device.address),
          h("td", {}, device.rssi === undefined || device.rssi === null ? "" : `${device.rssi} dBm`),
          h("td", {}, h("button", { type: "button", class: "small", onclick: () => add(device.address, device.name),
            "aria-label": `Add ${device.name || device.address}` }, "Add"))))))
        : h("p", { class: "hint" }, "No device found."));
    } catch (error) {
      replace(found, errorLine(error));
    }
  }));
  const pairing = h("p", { role: "status", id: "bt-pairing" });
  const pair = h("button", { type: "button" }, "Pair a phone");
  pair.addEventListener("click", busy(pair, async () => {
    replace(pairing, `The camera can be found for ${PAIRING_SECONDS} s: on the phone, open the `
      + "Bluetooth settings, choose this camera and accept the code it shows.");
    try {
      const { device } = await api("/bt/discoverable", {
        method: "POST", body: { timeout: PAIRING_SECONDS },
      });
      replace(pairing, `Paired with ${device.name || device.address}: it is tracked now.`);
      await draw();
    } catch (error) {
      replace(pairing, error.status === 408
        ? `No phone paired within ${PAIRING_SECONDS} s. Try again, or scan for it below.`
        : errorLine(error));
    }
  }));
  const address = h("input", { id: "bt-address", type: "text", autocomplete: "off", placeholder: "AA:BB:CC:DD:EE:FF" });
  const byHand = h("form", { class: "row", novalidate: true },
    h("label", { for: address.id }, "Address"), address,
    h("button", { type: "submit" }, "Add"));
  byHand.addEventListener("submit", (event) => {
    event.preventDefault();
    add(address.value.trim());
  });
  replace(box, h("h2", {}, "Tracked devices"), tracked, message,
    h("h2", {}, "Add a device"), h("div", { class: "row" }, pair, scan), pairing, found, byHand);
  await draw();
}

// --- captive portal --------------------------------------------------------------------

async function renderPortal(box) {
  const toggle = h("input", { type: "checkbox", role: "switch", class: "toggle", id: "portal-enabled" });
  const state = h("p", { id: "portal-state", role: "status" });
  const draw = (answer) => {
    toggle.checked = answer.enabled;
    state.textContent = answer.error
      ? `The firewall cannot be read: ${answer.error}`
      : `The redirect is ${answer.active ? "active" : "not active"} in the firewall now.`;
  };
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      draw(await api("/captive-portal", { method: "POST", body: { enabled: toggle.checked } }));
    } catch (error) {
      toggle.checked = !toggle.checked;
      state.textContent = error.message;
    } finally {
      toggle.disabled = false;
    }
  });
  replace(box, h("h2", {}, "Captive portal"),
    h("p", { class: "hint" }, "Sends phones that join the camera's own Wi-Fi to this dashboard."),
    h("div", { class: "field field-inline" }, h("label", { for: toggle.id }, "Redirect to the dashboard"), toggle),
    state, h("p", {}, h("a", { href: "#/settings/CaptivePortal" }, "Portal settings")));
  draw(await api("/captive-portal"));
}

const RENDERERS = {
  stats: renderStats, history: renderHistory, logs: renderLogs, scripts: renderScripts, update: renderUpdate,
  power: renderPower, storage: renderStorage, bluetooth: renderBluetooth, portal: renderPortal,
};

export default {
  id: "system",
  title: "System",
  async render(container, params) {
    const part = RENDERERS[params[0]] ? params[0] : "stats";
    const box = h("section", { class: "system-part", id: `system-${part}` });
    replace(container,
      h("h1", {}, "System"),
      h("nav", { class: "subnav", "aria-label": "System" }, PARTS.map(([id, title]) => h("a", {
        href: `#/system/${id}`, "aria-current": id === part ? "page" : undefined,
      }, title))),
      box);
    try {
      return await RENDERERS[part](box);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) throw error;
      replace(box, errorLine(error));
      return null;
    }
  },
};
