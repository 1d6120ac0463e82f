// Archive: recordings (newest first, a page at a time from the catalogue, filtered by day
// and sensor), snapshots and timelapses. Images are fetched with the Authorization header
// into blob: URLs; clips and timelapses play and download through signed links
// (POST /media/link), so they stream and seek however long they are, and no token is
// ever in a media URL.

import { api, apiResponse, apiUrl, blobUrl } from "../api.js";
import { onEvent } from "../events.js";
import { bytes, confirmDialog, duration, h, replace, toast, when } from "../ui.js";

const PAGE_SIZE = 24;
const SPRITE_FRAMES = 10;
const IMAGE_FETCHES_AT_ONCE = 4;
const TABS = [
  ["recordings", "Recordings"], ["snapshots", "Snapshots"], ["timelapses", "Timelapses"],
];

/** Fetches images a few at a time; everything it made is revoked by clear(). */
class ImageLoader {
  constructor() {
    this.urls = new Set();
    this.queue = [];
    this.running = 0;
    this.controller = new AbortController();
  }

  load(path, query) {
    return new Promise((resolve, reject) => {
      this.queue.push({ path, query, resolve, reject });
      this.pump();
    });
  }

  pump() {
    while (this.running < IMAGE_FETCHES_AT_ONCE && this.queue.length) {
      const job = this.queue.shift();
      this.running += 1;
      blobUrl(job.path, job.query, { signal: this.controller.signal })
        .then((url) => {
          if (this.controller.signal.aborted) {
            URL.revokeObjectURL(url);
            job.reject(new DOMException("aborted", "AbortError"));
            return;
          }
          this.urls.add(url);
          job.resolve(url);
        }, job.reject)
        .finally(() => {
          this.running -= 1;
          this.pump();
        });
    }
  }

  clear() {
    this.controller.abort();
    this.controller = new AbortController();
    this.queue = [];
    for (const url of this.urls) URL.revokeObjectURL(url);
    this.urls.clear();
  }
}

function image(loader, path, query, alt) {
  const element = h("img", { alt, loading: "lazy", decoding: "async", class: "thumb-img" });
  loader.load(path, query).then((url) => {
    element.src = url;
  }, () => element.classList.add("missing"));
  return element;
}

/** A signed link to one media file (POST /media/link): a URL the browser can stream,
 * seek (Range) and download on its own, without the token in it. */
async function mediaLink(path, query) {
  const link = await api("/media/link", { method: "POST", body: { url: apiUrl(path, query) } });
  return link.url;
}

async function download(path, query, name) {
  const url = await mediaLink(path, path === "/stream_video" ? { ...query, download: 1 } : query);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

/** A modal player for a video file, streamed through a signed link: it starts at once
 * and seeks with Range requests, however long the clip. */
function player(title, path, query) {
  const status = h("p", { class: "muted", role: "status" }, "Loading the clip…");
  const video = h("video", { controls: true, playsinline: true, preload: "auto", class: "player-video" });
  const close = h("button", { type: "button", class: "player-close" }, "Close");
  const dialog = h("dialog", { class: "player", "aria-label": title },
    h("div", { class: "row between" }, h("h2", {}, title), close), video, status);
  let open = true;
  const finish = () => {
    open = false;
    video.pause();
    video.removeAttribute("src");
    video.load();
    dialog.remove();
  };
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", finish);
  video.addEventListener("loadeddata", () => {
    status.textContent = "";
  });
  video.addEventListener("error", () => {
    if (open && video.getAttribute("src")) status.textContent = "The clip did not load.";
  });
  document.body.append(dialog);
  dialog.showModal();
  mediaLink(path, query).then((url) => {
    if (!open) return;
    video.src = url;
    video.play().catch(() => {});
    video.focus();
  }, (error) => {
    if (open) status.textContent = `The clip did not load: ${error.message}`;
  });
  return dialog;
}

// --- sprite scrubbing ------------------------------------------------------------------

function scrubber(loader, item) {
  const thumb = item.thumbnail
    ? image(loader, "/thumbnail", { video_path: item.path }, "")
    : h("span", { class: "thumb-none" }, "No preview");
  const sprite = h("img", { class: "sprite", alt: "", hidden: true });
  const box = h("div", {
    class: "thumb", "aria-label": `Preview of ${item.name}`, role: "img", dataset: { frame: "" },
  }, thumb, sprite);
  if (!item.sprite) return box;
  let loading = null;
  const ensure = () => {
    loading ||= loader.load("/sprite", { video_path: item.path }).then((url) => {
      sprite.src = url;
    }, () => {});
    return loading;
  };
  const show = (clientX) => {
    const rect = box.getBoundingClientRect();
    const share = Math.min(0.9999, Math.max(0, (clientX - rect.left) / rect.width));
    const frame = Math.floor(share * SPRITE_FRAMES);
    ensure().then(() => {
      if (!sprite.src) return;
      sprite.hidden = false;
      sprite.style.transform = `translateX(-${frame * (100 / SPRITE_FRAMES)}%)`;
      box.dataset.frame = String(frame);
    });
  };
  const hide = () => {
    sprite.hidden = true;
    box.dataset.frame = "";
  };
  box.addEventListener("pointerenter", () => ensure());
  box.addEventListener("pointermove", (event) => show(event.clientX));
  box.addEventListener("pointerdown", (event) => show(event.clientX));
  box.addEventListener("pointerleave", hide);
  box.addEventListener("pointercancel", hide);
  return box;
}

// --- recordings -----------------------------------------------------------------------

async function recordings(container, loader, cleanups) {
  const state = { offset: 0, day: "", sensor: "", total: 0, serial: 0 };
  const dayInput = h("input", { type: "date", id: "filter-day", name: "day" });
  const sensorSelect = h("select", { id: "filter-sensor", name: "sensor" },
    h("option", { value: "" }, "All sensors"));
  const clear = h("button", { type: "button", id: "filter-clear" }, "Clear filters");
  const summary = h("p", { class: "muted", id: "archive-summary", role: "status" });
  const list = h("ul", { class: "cards", id: "recordings", "aria-label": "Recordings" });
  const newest = h("button", { type: "button", id: "page-newest", "aria-label": "Newest page" }, "«");
  const previous = h("button", { type: "button", id: "page-newer" }, "‹ Newer");
  const next = h("button", { type: "button", id: "page-older" }, "Older ›");
  const oldest = h("button", { type: "button", id: "page-oldest", "aria-label": "Oldest page" }, "»");
  const pageText = h("span", { id: "page-number", class: "muted" });
  const fresh = h("button", { type: "button", class: "notice", id: "archive-fresh", hidden: true }, "New recordings: show them");
  replace(container,
    h("form", { class: "filters row", role: "search", "aria-label": "Filter recordings" },
      h("span", { class: "field" }, h("label", { for: "filter-day" }, "Day"), dayInput),
      h("span", { class: "field" }, h("label", { for: "filter-sensor" }, "Sensor"), sensorSelect),
      clear),
    fresh, summary, list,
    h("nav", { class: "pager row", "aria-label": "Pages of recordings" }, newest, previous, pageText, next, oldest));

  // The sensors' names, for the filter and for each card's "what triggered it".
  const sensorNames = new Map();
  const sensorsListed = api("/sensors").then(({ sensors }) => {
    for (const sensor of sensors) {
      sensorNames.set(sensor.id, sensor.name || sensor.id);
      sensorSelect.append(h("option", { value: sensor.id }, sensor.name || sensor.id));
    }
  }, () => {});

  const card = (item) => {
    const title = when(item.created);
    const play = h("button", { type: "button", class: "primary" }, "Play");
    const save = h("button", { type: "button" }, "Download");
    const remove = h("button", { type: "button", class: "danger-outline" }, "Delete");
    play.setAttribute("aria-label", `Play the recording of ${title}`);
    save.setAttribute("aria-label", `Download the recording of ${title}`);
    remove.setAttribute("aria-label", `Delete the recording of ${title}`);
    const element = h("li", { class: "card media-card", dataset: { path: item.path } },
      scrubber(loader, item),
      h("div", { class: "media-info" },
        h("strong", {}, title),
        item.sensors?.length ? h("span", { class: "media-sensors" },
          item.sensors.map((id) => sensorNames.get(id) || id).join(" · ")) : null,
        h("span", { class: "muted" }, [duration(item.duration), bytes(item.size)].filter(Boolean).join(" · "))),
      h("div", { class: "row" }, play, save, remove));
    play.addEventListener("click", () => player(title, "/stream_video", { video_path: item.path }));
    save.addEventListener("click", () => download("/stream_video", { video_path: item.path }, item.name)
      .catch((error) => toast(`Download failed: ${error.message}`, "error")));
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`Delete the recording of ${title}? This cannot be undone.`))) return;
      try {
        await api("/delete_video", { method: "POST", body: { video_path: item.path } });
        toast("Recording deleted.", "success");
        await show();
      } catch (error) {
        toast(`Not deleted: ${error.message}`, "error");
      }
    });
    return element;
  };

  const show = async () => {
    const serial = ++state.serial;
    const started = performance.now();
    list.setAttribute("aria-busy", "true");
    loader.clear(); // the old page's image fetches would hold the connections this needs
    const response = await apiResponse("/archive", {
      query: { offset: state.offset, limit: PAGE_SIZE, day: state.day, sensor: state.sensor },
    });
    const items = await response.json();
    if (serial !== state.serial) return;
    state.total = Number(response.headers.get("X-Total-Count")) || 0;
    if (!items.length && state.offset > 0 && state.total > 0) {
      state.offset = Math.max(0, Math.floor((state.total - 1) / PAGE_SIZE) * PAGE_SIZE);
      await show();
      return;
    }
    replace(list, items.map(card));
    if (!items.length) {
      list.append(h("li", { class: "muted empty" },
        state.day || state.sensor ? "No recording matches these filters." : "No recordings yet."));
    }
    const pages = Math.max(1, Math.ceil(state.total / PAGE_SIZE));
    const page = Math.floor(state.offset / PAGE_SIZE) + 1;
    pageText.textContent = `Page ${page} of ${pages}`;
    summary.textContent = `${state.total.toLocaleString()} recording${state.total === 1 ? "" : "s"}`
      + (state.day || state.sensor ? " match" : "");
    previous.disabled = newest.disabled = state.offset === 0;
    next.disabled = oldest.disabled = state.offset + PAGE_SIZE >= state.total;
    fresh.hidden = true;
    list.removeAttribute("aria-busy");
    list.dataset.shownMs = String(Math.round(performance.now() - started));
  };
  const failed = (error) => toast(`The archive did not load: ${error.message}`, "error");
  const refilter = () => {
    state.day = dayInput.value;
    state.sensor = sensorSelect.value;
    state.offset = 0;
    show().catch(failed);
  };
  dayInput.addEventListener("change", refilter);
  sensorSelect.addEventListener("change", refilter);
  clear.addEventListener("click", () => {
    dayInput.value = "";
    sensorSelect.value = "";
    refilter();
  });
  previous.addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    show().then(() => previous.disabled || previous.focus(), failed);
  });
  next.addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    show().then(() => next.disabled || next.focus(), failed);
    container.scrollIntoView({ block: "start" });
  });
  newest.addEventListener("click", () => {
    state.offset = 0;
    show().catch(failed);
  });
  oldest.addEventListener("click", () => {
    state.offset = Math.max(0, Math.floor((state.total - 1) / PAGE_SIZE) * PAGE_SIZE);
    show().catch(failed);
  });
  fresh.addEventListener("click", () => {
    state.offset = 0;
    show().catch(failed);
  });
  cleanups.push(onEvent("archive_updated", (data) => {
    if (!data || data.type === "snapshot" || data.type === "timelapse") return;
    // On the first page with nothing open, follow along; elsewhere, offer it.
    const playing = document.querySelector("dialog[open]");
    if (state.offset === 0 && !playing) show().catch(() => {});
    else if (data.type === "recording") fresh.hidden = false;
  }));
  await sensorsListed;
  await show();
}

// --- snapshots ------------------------------------------------------------------------

async function snapshots(container, loader, cleanups) {
  const state = { offset: 0, total: 0 };
  const summary = h("p", { class: "muted", role: "status" });
  const list = h("ul", { class: "cards snapshots", id: "snapshots", "aria-label": "Snapshots" });
  const previous = h("button", { type: "button" }, "‹ Newer");
  const next = h("button", { type: "button" }, "Older ›");
  replace(container, summary, list, h("nav", { class: "pager row", "aria-label": "Pages of snapshots" }, previous, next));

  const view = (item, title) => {
    const big = h("img", { alt: `Snapshot of ${title}`, class: "snapshot-big" });
    const close = h("button", { type: "button" }, "Close");
    const dialog = h("dialog", { class: "player", "aria-label": `Snapshot of ${title}` },
      h("div", { class: "row between" }, h("h2", {}, title), close), big);
    let url = null;
    close.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      if (url) URL.revokeObjectURL(url);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    blobUrl("/snapshot_image", { path: item.path }).then((made) => {
      url = made;
      big.src = made;
    }, (error) => toast(error.message, "error"));
  };
  const card = (item) => {
    const title = when(item.created);
    const open = h("button", { type: "button", class: "thumb-button", "aria-label": `View the snapshot of ${title}` },
      image(loader, "/snapshot_image", { path: item.path }, ""));
    const save = h("button", { type: "button", "aria-label": `Download the snapshot of ${title}` }, "Download");
    const remove = h("button", { type: "button", class: "danger-outline", "aria-label": `Delete the snapshot of ${title}` }, "Delete");
    open.addEventListener("click", () => view(item, title));
    save.addEventListener("click", () => download("/snapshot_image", { path: item.path }, item.name)
      .catch((error) => toast(`Download failed: ${error.message}`, "error")));
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`Delete the snapshot of ${title}?`))) return;
      try {
        await api("/delete_snapshot", { method: "POST", body: { snapshot_path: item.path } });
        await show();
      } catch (error) {
        toast(`Not deleted: ${error.message}`, "error");
      }
    });
    return h("li", { class: "card media-card", dataset: { path: item.path } }, open,
      h("div", { class: "media-info" }, h("strong", {}, title), h("span", { class: "muted" }, bytes(item.size))),
      h("div", { class: "row" }, save, remove));
  };
  const show = async () => {
    const response = await apiResponse("/snapshots", { query: { offset: state.offset, limit: PAGE_SIZE } });
    const items = await response.json();
    state.total = Number(response.headers.get("X-Total-Count")) || items.length;
    loader.clear();
    replace(list, items.length ? items.map(card) : h("li", { class: "muted empty" }, "No snapshots yet."));
    summary.textContent = `${state.total.toLocaleString()} snapshot${state.total === 1 ? "" : "s"}`;
    previous.disabled = state.offset === 0;
    next.disabled = state.offset + PAGE_SIZE >= state.total;
  };
  previous.addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - PAGE_SIZE);
    show().catch((error) => toast(error.message, "error"));
  });
  next.addEventListener("click", () => {
    state.offset += PAGE_SIZE;
    show().catch((error) => toast(error.message, "error"));
  });
  cleanups.push(onEvent("archive_updated", (data) => {
    if (data && (data.type === "snapshot" || data.type === "deleted") && state.offset === 0) show().catch(() => {});
  }));
  await show();
}

// --- timelapses -----------------------------------------------------------------------

async function timelapses(container, loader, cleanups) {
  const list = h("ul", { class: "cards", id: "timelapses", "aria-label": "Timelapses" });
  replace(container, list);
  const card = (item) => {
    const title = `Timelapse of ${item.date}`;
    const play = h("button", { type: "button", class: "primary", "aria-label": `Play the ${title}` }, "Play");
    const save = h("button", { type: "button", "aria-label": `Download the ${title}` }, "Download");
    const remove = h("button", { type: "button", class: "danger-outline", "aria-label": `Delete the ${title}` }, "Delete");
    play.addEventListener("click", () => player(title, "/timelapse/video", { path: item.path }));
    save.addEventListener("click", () => download("/timelapse/video", { path: item.path }, item.name)
      .catch((error) => toast(`Download failed: ${error.message}`, "error")));
    remove.addEventListener("click", async () => {
      if (!(await confirmDialog(`Delete the ${title}?`))) return;
      try {
        await api("/timelapse/delete", { method: "POST", body: { path: item.path } });
        await show();
      } catch (error) {
        toast(`Not deleted: ${error.message}`, "error");
      }
    });
    const thumb = item.thumbnail
      ? h("div", { class: "thumb" }, image(loader, "/timelapse/thumbnail", { path: item.path }, ""))
      : h("div", { class: "thumb" }, h("span", { class: "thumb-none" }, "No preview"));
    return h("li", { class: "card media-card", dataset: { path: item.path } }, thumb,
      h("div", { class: "media-info" }, h("strong", {}, title),
        h("span", { class: "muted" }, [duration(item.duration), bytes(item.size)].filter(Boolean).join(" · "))),
      h("div", { class: "row" }, play, save, remove));
  };
  const show = async () => {
    const items = await api("/timelapse");
    loader.clear();
    replace(list, items.length ? items.map(card) : h("li", { class: "muted empty" }, "No timelapses yet."));
  };
  cleanups.push(onEvent("archive_updated", (data) => {
    if (data && (data.type === "timelapse" || data.type === "deleted")) show().catch(() => {});
  }));
  await show();
}

const VIEWS = { recordings, snapshots, timelapses };

export default {
  id: "archive",
  title: "Archive",
  async render(container, params) {
    const tab = VIEWS[params[0]] ? params[0] : "recordings";
    const loader = new ImageLoader();
    const cleanups = [];
    const body = h("div", { class: "archive-body" });
    replace(container,
      h("h1", { class: "visually-hidden" }, "Archive"),
      h("nav", { class: "tabs row", "aria-label": "Archive" }, TABS.map(([id, label]) => h("a", {
        href: `#/archive/${id}`, "aria-current": id === tab ? "page" : false,
      }, label))),
      body);
    await VIEWS[tab](body, loader, cleanups);
    return () => {
      for (const off of cleanups) off();
      loader.clear();
      for (const dialog of document.querySelectorAll("dialog.player")) dialog.close();
    };
  },
};
