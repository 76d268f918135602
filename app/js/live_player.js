// Live player glue, imported by app/src/components/player.rs through
// wasm-bindgen. Kept in JavaScript because it is all calls into the browser's
// media element and hls.js's event API; the room's logic (what to play, the
// stream clock, when a card lights up) stays in Rust.
//
// Plays an HLS playlist in a <video>: natively where the browser plays HLS
// itself and is Apple's (Safari, iOS), with hls.js elsewhere. hls.js is
// loaded from our own origin only when a room plays video, after hydration.
// The player starts muted (autoplay rules), reports its state
// ("starting" | "playing" | "buffering" | "ended" | "failed"), recovers from a
// stalled or failed stream by itself, and tells the wall time (Unix ms) at
// which the frame on screen reached the ingest, read from the segment names
// nginx writes (`{unix_ms}.ts`).

let hlsLoading = null;

function loadHls(src) {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    hlsLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error("hls.js did not load")));
      script.onerror = () => {
        hlsLoading = null;
        reject(new Error("hls.js did not load"));
      };
      document.head.appendChild(script);
    });
  }
  return hlsLoading;
}

function applePlaysHls(video) {
  const ua = navigator.userAgent;
  const apple = /iPhone|iPad|iPod/.test(ua) || (/Safari\//.test(ua) && !/Chrome|Chromium|CriOS|FxiOS|Android|Edg\//.test(ua));
  return apple && video.canPlayType("application/vnd.apple.mpegurl") !== "";
}

function segmentWallMs(url) {
  const match = /\/([0-9]{10,19})\.ts(\?|$)/.exec(url || "");
  return match ? Number(match[1]) : NaN;
}

export function attach(video, url, hlsSrc, onState) {
  const handle = { video, url, hls: null, native: false, fragWall: NaN, fragStart: 0, stopped: false, timer: null };
  const report = (state) => {
    if (!handle.stopped) onState(state);
  };
  const later = (fn, ms) => {
    clearTimeout(handle.timer);
    handle.timer = setTimeout(() => {
      if (!handle.stopped) fn();
    }, ms);
  };
  video.muted = true;
  video.playsInline = true;
  video.autoplay = true;
  const play = () => video.play().catch(() => {});
  const listeners = {
    playing: () => report("playing"),
    waiting: () => report("buffering"),
    stalled: () => report("buffering"),
    ended: () => report("ended"),
  };
  for (const [name, fn] of Object.entries(listeners)) video.addEventListener(name, fn);
  handle.listeners = listeners;
  report("starting");

  if (applePlaysHls(video) || !("MediaSource" in window || "ManagedMediaSource" in window)) {
    if (video.canPlayType("application/vnd.apple.mpegurl") === "") {
      report("failed");
      return handle;
    }
    handle.native = true;
    const reload = () => {
      report("buffering");
      video.src = url;
      play();
    };
    handle.onError = () => later(reload, 3000);
    video.addEventListener("error", handle.onError);
    video.src = url;
    play();
    return handle;
  }

  loadHls(hlsSrc)
    .then((Hls) => {
      if (handle.stopped) return;
      const start = () => {
        const hls = new Hls({ liveSyncDurationCount: 2, maxLiveSyncPlaybackRate: 1.1, backBufferLength: 30 });
        handle.hls = hls;
        hls.on(Hls.Events.FRAG_CHANGED, (_event, data) => {
          handle.fragWall = segmentWallMs(data.frag.url || data.frag.relurl);
          handle.fragStart = data.frag.start;
        });
        hls.on(Hls.Events.ERROR, (_event, data) => {
          if (!data.fatal) return;
          report("buffering");
          if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
            hls.recoverMediaError();
          } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR && data.details !== "manifestLoadError") {
            later(() => hls.startLoad(), 2000);
          } else {
            // The playlist is not there (yet, or any more): start over in a moment.
            later(() => {
              hls.destroy();
              start();
            }, 3000);
          }
        });
        hls.loadSource(url);
        hls.attachMedia(video);
        hls.on(Hls.Events.MANIFEST_PARSED, play);
      };
      start();
    })
    .catch(() => report("failed"));
  return handle;
}

// The wall time (Unix ms) of the frame on screen at the ingest; NaN when unknown.
export function wallClock(handle) {
  const video = handle.video;
  if (!handle.native) {
    if (Number.isNaN(handle.fragWall)) return NaN;
    return handle.fragWall + (video.currentTime - handle.fragStart) * 1000;
  }
  // Native HLS tells no segment: the live edge minus how far behind it we play,
  // minus the two segments a player keeps between itself and the edge. Safari
  // tells the edge as the end of what is seekable; Chromium's native player
  // seeks nothing in a live stream, and the end of what it has buffered (it
  // fetches up to the edge) stands in.
  const ranges = video.seekable.length > 0 ? video.seekable : video.buffered;
  if (ranges.length === 0) return NaN;
  const behind = ranges.end(ranges.length - 1) - video.currentTime;
  return Date.now() - behind * 1000 - 4000;
}

export function currentTime(handle) {
  return handle.video.currentTime;
}

export function seek(handle, seconds) {
  handle.video.currentTime = seconds;
  handle.video.play().catch(() => {});
}

export function unmute(handle) {
  handle.video.muted = false;
  handle.video.play().catch(() => {});
}

export function detach(handle) {
  handle.stopped = true;
  clearTimeout(handle.timer);
  for (const [name, fn] of Object.entries(handle.listeners || {})) handle.video.removeEventListener(name, fn);
  if (handle.onError) handle.video.removeEventListener("error", handle.onError);
  if (handle.hls) handle.hls.destroy();
  handle.video.removeAttribute("src");
  handle.video.load();
}
