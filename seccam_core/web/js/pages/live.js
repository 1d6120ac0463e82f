// Live: the camera's newest frame (about one a second) or, switched on, its live video
// (HLS through a signed link: the camera's own H.264, never re-encoded), the recording
// state, every sensor as a tile (red while triggered, over SSE), the arm mode switch,
// record and snapshot buttons.

import { api, blobUrl } from "../api.js";
import { onEvent } from "../events.js";
import { h, replace, toast, when } from "../ui.js";

const MODES = [
  ["disarmed", "Disarmed"], ["home", "Home"], ["away", "Away"], ["night", "Night"],
];
const FRAME_INTERVAL_MS = 1000;
const FRAME_RETRY_MS = 3000;
const VIDEO_CHOICE = "seccam.liveVideo";
const VIDEO_LINK_SECONDS = 6 * 3600;
const VIDEO_RETRY_MS = 3000;

/** Whether this browser plays HLS itself (Safari, Chrome on Android, Chromium 141+). */
function playsHls() {
  return Boolean(document.createElement("video").canPlayType("application/vnd.apple.mpegurl"));
}

/** The live video in `video`: a signed playlist link, linked again after an error (the
 * camera restarted, the link expired). Returns a function that stops it. */
function videoLoop(video, caption, onFailure) {
  let stopped = false;
  let timer = null;
  let failures = 0;
  const start = async () => {
    try {
      const link = await api("/media/link", {
        method: "POST", body: { url: "/live/stream.m3u8", seconds: VIDEO_LINK_SECONDS },
      });
      if (stopped) return;
      video.src = link.url;
      await video.play().catch(() => {});
    } catch (error) {
      if (!stopped) retry(error.message);
    }
  };
  const retry = (why) => {
    failures += 1;
    if (failures > 3) {
      onFailure(why);
      return;
    }
    caption.textContent = `Live video interrupted (${why}); reconnecting…`;
    clearTimeout(timer);
    timer = setTimeout(start, VIDEO_RETRY_MS);
  };
  const playing = () => {
    failures = 0;
    caption.textContent = "Live video";
  };
  const failed = () => {
    if (!stopped && video.getAttribute("src")) retry(video.error?.message || "no video");
  };
  video.addEventListener("playing", playing);
  video.addEventListener("error", failed);
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    video.removeEventListener("playing", playing);
    video.removeEventListener("error", failed);
    video.pause();
    video.removeAttribute("src");
    video.load();
  };
}

function sensorState(sensor) {
  if (sensor.error) return ["error", `Error: ${sensor.error}`];
  if (!sensor.enabled) return ["off", "Disabled"];
  if (sensor.triggered) return ["triggered", "Triggered"];
  if (sensor.suppressed) {
    const why = sensor.suppressed_reason ? `: ${sensor.suppressed_reason}` : " in this mode";
    return ["quiet", `Quiet (not armed${why})`];
  }
  if (sensor.armed === false) return ["quiet", "Warming up"];
  return ["quiet", "Quiet"];
}

function frameLoop(image, caption, signal) {
  let shown = null;
  const wait = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
  const visible = () => new Promise((resolve) => {
    if (document.visibilityState === "visible") {
      resolve();
      return;
    }
    const done = () => {
      document.removeEventListener("visibilitychange", check);
      resolve();
    };
    const check = () => document.visibilityState === "visible" && done();
    document.addEventListener("visibilitychange", check);
    signal.addEventListener("abort", done, { once: true });
  });
  (async () => {
    while (!signal.aborted) {
      await visible();
      if (signal.aborted) break;
      const started = performance.now();
      try {
        const url = await blobUrl("/camera/frame", undefined, { signal });
        if (signal.aborted) {
          URL.revokeObjectURL(url);
          break;
        }
        await new Promise((resolve) => {
          image.addEventListener("load", resolve, { once: true });
          image.addEventListener("error", resolve, { once: true });
          image.src = url;
        });
        if (shown) URL.revokeObjectURL(shown);
        shown = url;
        image.closest(".camera").classList.remove("camera-down");
        caption.textContent = `Live · ${new Date().toLocaleTimeString()}`;
        await wait(Math.max(0, FRAME_INTERVAL_MS - (performance.now() - started)));
      } catch (error) {
        if (signal.aborted) break;
        image.closest(".camera").classList.add("camera-down");
        caption.textContent = error.status === 401 ? "" : `No picture: ${error.message}`;
        await wait(FRAME_RETRY_MS);
      }
    }
    if (shown) URL.revokeObjectURL(shown);
  })();
}

export default {
  id: "live",
  title: "Live",
  async render(container) {
    const stop = new AbortController();
    const unsubscribe = [];

    // camera
    const image = h("img", { class: "frame", alt: "The camera's live picture", width: 640, height: 360 });
    const video = h("video", {
      class: "frame live-video", muted: true, autoplay: true, playsinline: true, hidden: true,
      "aria-label": "The camera's live video",
    });
    video.muted = true;
    const caption = h("p", { class: "muted", id: "frame-caption", "aria-live": "off" }, "Connecting to the camera…");
    const videoSwitch = h("button", { type: "button", id: "live-video", "aria-pressed": "false" }, "Live video");
    if (!playsHls()) {
      videoSwitch.disabled = true;
      videoSwitch.title = "This browser cannot play live video (HLS): the picture refreshes every second.";
    }
    const camera = h("figure", { class: "camera" }, image, video,
      h("figcaption", { class: "row between" }, caption, videoSwitch));

    // recording and buttons
    const recordingText = h("span", { id: "recording-state" }, "…");
    const recordButton = h("button", { type: "button", id: "record", class: "primary" }, "Record");
    const snapshotButton = h("button", { type: "button", id: "snapshot" }, "Snapshot");
    const recordingBox = h("section", { class: "card recording", "aria-labelledby": "recording-title" },
      h("h2", { id: "recording-title" }, "Recording"),
      h("p", { class: "row" }, h("span", { class: "dot", "aria-hidden": "true" }), recordingText),
      h("div", { class: "row" }, recordButton, snapshotButton));

    // arm mode
    const radios = MODES.map(([mode, label]) => {
      const input = h("input", { type: "radio", name: "arm-mode", value: mode, id: `mode-${mode}` });
      return [input, h("label", { for: `mode-${mode}`, class: `mode mode-${mode}` }, input, label)];
    });
    const armSource = h("p", { class: "muted", id: "arm-source" });
    const armBox = h("fieldset", { class: "card arming", id: "arming" },
      h("legend", {}, "Arm mode"),
      h("div", { class: "switch", role: "radiogroup", "aria-label": "Arm mode" }, radios.map(([, label]) => label)),
      armSource);

    // sensors
    const tiles = new Map();
    const tileList = h("ul", { class: "tiles", id: "sensor-tiles", "aria-live": "polite" });
    const sensorsBox = h("section", { class: "sensors", "aria-labelledby": "sensors-title" },
      h("h2", { id: "sensors-title" }, "Sensors"), tileList);

    replace(container, h("h1", { class: "visually-hidden" }, "Live"),
      h("div", { class: "live-grid" }, camera,
        h("div", { class: "live-side" }, armBox, recordingBox)),
      sensorsBox);

    // --- state into the page -------------------------------------------------------
    let recording = false;
    const showRecording = (state) => {
      recording = Boolean(state.recording);
      container.querySelector(".recording").classList.toggle("is-recording", recording);
      if (recording) {
        const why = state.reason === "sensor" && state.sensor_type ? `sensor: ${state.sensor_type}` : state.reason || "";
        recordingText.textContent = `Recording since ${when(state.started_at)}${why ? ` (${why})` : ""}`;
      } else {
        recordingText.textContent = state.error ? `Not recording (${state.error})` : "Not recording";
      }
      recordButton.textContent = recording ? "Stop recording" : "Record";
      recordButton.setAttribute("aria-pressed", String(recording));
    };
    const showArming = (state) => {
      for (const [input] of radios) input.checked = input.value === state.mode;
      armBox.dataset.mode = state.mode;
      let text = `Set ${state.source === "manual" ? "by hand" : `by ${state.source}`}`;
      if (state.set_mode && state.set_mode !== state.mode) text += ` (${state.set_mode} set; presence overrides)`;
      if (state.next_change && state.next_change.mode) {
        text += ` · next: ${state.next_change.mode}${state.next_change.at ? ` at ${when(state.next_change.at)}` : ""}`;
      }
      armSource.textContent = text;
    };
    const tileFor = (sensor) => {
      const id = sensor.sensor_id ?? sensor.id;
      let tile = tiles.get(id);
      if (!tile) {
        const stateText = h("span", { class: "tile-state" });
        tile = {
          element: h("li", { class: "tile", dataset: { sensor: id } },
            h("span", { class: "tile-name" }, sensor.name || id), stateText),
          stateText,
        };
        tiles.set(id, tile);
        tileList.append(tile.element);
      }
      return tile;
    };
    const showSensor = (sensor) => {
      const id = sensor.sensor_id ?? sensor.id;
      if (sensor.removed) {
        tiles.get(id)?.element.remove();
        tiles.delete(id);
        return;
      }
      const tile = tileFor(sensor);
      const [state, text] = sensorState(sensor);
      tile.element.dataset.state = state;
      tile.stateText.textContent = text;
      tile.element.setAttribute("aria-label", `${tile.element.querySelector(".tile-name").textContent}: ${text}`);
    };
    const loadSensors = async () => {
      const { sensors } = await api("/sensors");
      const seen = new Set(sensors.map((s) => s.id));
      for (const [id, tile] of tiles) {
        if (!seen.has(id)) {
          tile.element.remove();
          tiles.delete(id);
        }
      }
      for (const sensor of sensors) showSensor(sensor);
      if (!sensors.length) replace(tileList, h("li", { class: "muted" }, "No sensor is configured."));
    };
    const loadAll = async () => {
      const [arming, status] = await Promise.all([
        api("/arming"), api("/recording_status"), loadSensors(),
      ]);
      showArming(arming);
      showRecording(status);
    };

    // --- live updates --------------------------------------------------------------
    unsubscribe.push(onEvent("sensor_state", (data) => {
      if (!tiles.has(data.sensor_id) && !data.removed) {
        loadSensors().catch(() => {});
        return;
      }
      showSensor(data);
    }));
    unsubscribe.push(onEvent("arming_state", showArming));
    unsubscribe.push(onEvent("recording_state", showRecording));
    let wasConnected = true;
    unsubscribe.push(onEvent("connection", ({ connected }) => {
      if (connected && !wasConnected) loadAll().catch(() => {});
      wasConnected = connected;
    }));

    // --- controls ------------------------------------------------------------------
    for (const [input] of radios) {
      input.addEventListener("change", async () => {
        if (!input.checked) return;
        for (const [other] of radios) other.disabled = true;
        try {
          showArming(await api("/arming", { method: "POST", body: { mode: input.value } }));
        } catch (error) {
          toast(`The arm mode was not changed: ${error.message}`, "error");
          api("/arming").then(showArming).catch(() => {});
        } finally {
          for (const [other] of radios) other.disabled = false;
        }
      });
    }
    recordButton.addEventListener("click", async () => {
      recordButton.disabled = true;
      try {
        const answer = await api("/toggle_recording", { method: "POST" });
        showRecording(answer.recording === undefined ? await api("/recording_status") : answer);
      } catch (error) {
        toast(`Recording: ${error.message}`, "error");
      } finally {
        recordButton.disabled = false;
      }
    });
    snapshotButton.addEventListener("click", async () => {
      snapshotButton.disabled = true;
      try {
        await api("/snapshot", { method: "POST" });
        toast("Snapshot saved: see Archive.", "success");
      } catch (error) {
        toast(`Snapshot: ${error.message}`, "error");
      } finally {
        snapshotButton.disabled = false;
      }
    });

    await loadAll();

    // --- picture or video ----------------------------------------------------------
    let frames = null;
    let stopVideo = null;
    const showPictures = (why = "") => {
      stopVideo?.();
      stopVideo = null;
      video.hidden = true;
      image.hidden = false;
      videoSwitch.setAttribute("aria-pressed", "false");
      if (why) toast(`Live video stopped: ${why}. Showing pictures.`, "error");
      if (!frames || frames.signal.aborted) {
        frames = new AbortController();
        stop.signal.addEventListener("abort", () => frames.abort(), { once: true });
        frameLoop(image, caption, frames.signal);
      }
    };
    const showVideo = () => {
      frames?.abort();
      image.hidden = true;
      video.hidden = false;
      videoSwitch.setAttribute("aria-pressed", "true");
      caption.textContent = "Connecting to the live video…";
      stopVideo = videoLoop(video, caption, (why) => {
        localStorage.removeItem(VIDEO_CHOICE);
        showPictures(why);
      });
    };
    videoSwitch.addEventListener("click", () => {
      if (stopVideo) {
        localStorage.removeItem(VIDEO_CHOICE);
        showPictures();
      } else {
        localStorage.setItem(VIDEO_CHOICE, "on");
        showVideo();
      }
    });
    if (playsHls() && localStorage.getItem(VIDEO_CHOICE) === "on") showVideo();
    else showPictures();
    return () => {
      stop.abort();
      stopVideo?.();
      for (const off of unsubscribe) off();
    };
  },
};
