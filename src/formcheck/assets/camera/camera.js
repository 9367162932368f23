// formcheck's live camera (a Streamlit component, served by the local formcheck server; no outside resource).
//
// START: the camera (getUserMedia) plays in our own <video>; frames go to the local formcheck server over a
// websocket on 127.0.0.1 as JPEG (at most MAX_IN_FLIGHT unanswered: frames the server cannot keep up with
// are never taken, so nothing queues up); each answer carries the landmarks and the state, which are drawn
// on a canvas over the video. STOP (or closing the page) ends the session on the server.
// Streamlit talks to a component with window.postMessage (types "streamlit:render", "streamlit:componentReady",
// "streamlit:setComponentValue", "streamlit:setFrameHeight"); that is all this file needs of it.
"use strict";
(() => {
  const MAX_IN_FLIGHT = 2;   // frames sent and not yet answered
  const SEND_WIDTH = 640;    // frames wider than this are scaled down before sending (px)
  const JPEG_QUALITY = 0.7;
  const MAX_FPS = 30;  // never faster than 30 frames a second (a page may ask for fewer: args.max_fps)
  const GOOD = "#22c55e", BAD = "#ef4444", OUTLINE = "rgba(15,27,45,.85)";
  const CUE_COLOURS = { good: "#1b7f3b", fix: "#b45309", setup: "#1d4ed8" };
  const MIN_VISIBILITY = 0.5;

  const video = document.getElementById("fc-video");
  const canvas = document.getElementById("fc-overlay");
  const ctx = canvas.getContext("2d");
  const startBtn = document.getElementById("fc-start");
  const stopBtn = document.getElementById("fc-stop");
  const status = document.getElementById("fc-status");
  const deviceSel = document.getElementById("fc-device");
  const grab = document.createElement("canvas");
  const grabCtx = grab.getContext("2d");

  let args = null;        // the component's arguments from Python
  let stream = null, ws = null, run = 0, seq = 0, lastSent = 0, timer = null;
  let overlay = null, bones = [], sending = false, playing = false, dirty = true;
  // Frames sent and not yet answered: seq -> when the frame was grabbed (ms). The server takes frames in
  // order and answers only those it processed, so an answer for frame n settles every frame before it too.
  const sentAt = new Map();
  // Running figures of this page (read by the browser test and for diagnosis): frames sent and answered,
  // recent JPEG encode and frame-to-overlay times (ms).
  const stats = window.__fcCam = { sent: 0, answered: 0, encodeMs: [], roundTripMs: [] };
  function keep(list, v) { list.push(Math.round(v * 10) / 10); if (list.length > 300) list.shift(); }

  function post(type, extra) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type }, extra), "*");
  }
  function setValue(value) { post("streamlit:setComponentValue", { value, dataType: "json" }); }
  function setHeight() { post("streamlit:setFrameHeight", { height: document.body.scrollHeight }); }
  function text(key) { return (args && args.texts && args.texts[key]) || ""; }
  function say(msg) { status.textContent = msg || ""; }

  function showButtons() {
    startBtn.hidden = playing;
    stopBtn.hidden = !playing;
    startBtn.textContent = text("start") || "START";
    stopBtn.textContent = text("stop") || "STOP";
  }

  // The camera chosen in the list (empty: the browser's default).
  function constraints() {
    const wanted = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
    if (deviceSel.value) wanted.deviceId = { exact: deviceSel.value };
    return { video: wanted, audio: false };
  }

  async function openCamera() {
    const s = await navigator.mediaDevices.getUserMedia(constraints());
    for (const t of s.getVideoTracks()) t.addEventListener("ended", () => say(text("camera_lost")));
    return s;
  }

  // Offer a choice when there is more than one camera (names are known once access was granted).
  async function listCameras() {
    let cams = [];
    try { cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === "videoinput"); }
    catch (e) { return; }
    const current = stream && stream.getVideoTracks()[0] && stream.getVideoTracks()[0].getSettings().deviceId;
    deviceSel.replaceChildren(...cams.map((d, i) => {
      const o = document.createElement("option");
      o.value = d.deviceId; o.textContent = d.label || `${text("select_device")} ${i + 1}`;
      o.selected = d.deviceId === current;
      return o;
    }));
    deviceSel.title = text("select_device");
    deviceSel.hidden = cams.length < 2;
  }

  async function switchCamera() {
    if (!playing) return;
    try {
      const s = await openCamera();
      if (stream) for (const t of stream.getTracks()) t.stop();
      stream = s;
      video.srcObject = stream;
      say("");
    } catch (e) {
      say(text("not_available"));
    }
  }

  async function start() {
    if (playing || !args) return;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { say(text("no_media")); return; }
    say(text("ask_permission"));
    try {
      stream = await openCamera();
    } catch (e) {
      say(e && e.name === "NotAllowedError" ? text("denied") : text("not_available"));
      return;
    }
    video.srcObject = stream;
    listCameras();
    run += 1;
    playing = true;
    showButtons();
    say("");
    connect(run);
    setValue({ playing: true, run });
  }

  function connect(myRun) {
    seq = 0; overlay = null; sentAt.clear();
    ws = new WebSocket(args.ws_url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { if (myRun === run) schedule(0); };
    ws.onmessage = (ev) => {
      if (myRun !== run) return;
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      const t0 = sentAt.get(msg.seq);
      if (msg.type === "overlay" || msg.type === "skip" || msg.type === "ack") {
        for (const k of [...sentAt.keys()]) if (k <= msg.seq) sentAt.delete(k);
      }
      if (msg.type === "overlay") {
        if (t0 !== undefined) keep(stats.roundTripMs, performance.now() - t0);
        stats.answered += 1;
        if (msg.bones) bones = msg.bones;
        overlay = msg;
        dirty = true;
      } else if (msg.type === "error") {
        say(text("server_error"));
      }
      schedule(0);
    };
    ws.onclose = () => {
      if (myRun !== run || !playing) return;
      say(text("server_lost"));
      stop(false);
    };
  }

  // The least time between two frames sent (ms): the page's max_fps, at most MAX_FPS.
  function gapMs() {
    const asked = args && Number(args.max_fps) > 0 ? Number(args.max_fps) : MAX_FPS;
    return 1000 / Math.min(MAX_FPS, asked);
  }

  function schedule(delay) {
    if (timer !== null) return;
    timer = setTimeout(() => { timer = null; pump(); }, delay);
  }

  // Take and send the newest camera picture when the server has room for one.
  function pump() {
    if (!playing || !ws || ws.readyState !== WebSocket.OPEN || sending || sentAt.size >= MAX_IN_FLIGHT) return;
    const now = performance.now();
    if (now - lastSent < gapMs()) { schedule(gapMs() - (now - lastSent)); return; }
    const w = video.videoWidth, h = video.videoHeight;
    const live = stream && stream.getVideoTracks().some((t) => t.readyState === "live");
    if (!w || !h || !live) { schedule(100); return; }
    const scale = Math.min(1, SEND_WIDTH / w);
    grab.width = Math.round(w * scale); grab.height = Math.round(h * scale);
    grabCtx.drawImage(video, 0, 0, grab.width, grab.height);
    const t = performance.now();
    const mySeq = ++seq;
    const myWs = ws;
    sending = true; lastSent = now;
    grab.toBlob(async (blob) => {
      sending = false;
      if (!blob || myWs !== ws || myWs.readyState !== WebSocket.OPEN) { schedule(50); return; }
      const jpeg = await blob.arrayBuffer();
      keep(stats.encodeMs, performance.now() - t);
      const head = new DataView(new ArrayBuffer(16));
      [70, 67, 70, 49].forEach((c, i) => head.setUint8(i, c));  // "FCF1"
      head.setUint32(4, mySeq >>> 0, true);
      head.setFloat64(8, t, true);
      const msg = new Uint8Array(16 + jpeg.byteLength);
      msg.set(new Uint8Array(head.buffer), 0);
      msg.set(new Uint8Array(jpeg), 16);
      sentAt.set(mySeq, t);
      myWs.send(msg.buffer);
      stats.sent += 1;
      schedule(gapMs());
    }, "image/jpeg", JPEG_QUALITY);
  }

  function stop(tell) {
    if (!playing) return;
    playing = false;
    run += 1;
    if (ws) {
      if (tell && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "stop" }));
      ws.close();
      ws = null;
    }
    if (stream) for (const t of stream.getTracks()) t.stop();
    stream = null;
    video.srcObject = null;
    overlay = null;
    dirty = true;
    showButtons();
    setValue({ playing: false, run });
  }

  // ------------------------------------------------------------------------------------ drawing

  function contentRect() {
    const cw = canvas.clientWidth, ch = canvas.clientHeight;
    const vw = video.videoWidth || 4, vh = video.videoHeight || 3;
    const s = Math.min(cw / vw, ch / vh);
    return { x: (cw - vw * s) / 2, y: (ch - vh * s) / 2, w: vw * s, h: vh * s };
  }

  function roundRect(x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y); ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r); ctx.closePath();
  }

  function drawSkeleton(o, r, s) {
    if (!o.lm) return;
    const bad = new Set(o.bad || []);
    const pt = (i) => {
      const p = o.lm[i];
      if (!p || p[0] === null || p[1] === null || (p[2] !== null && p[2] < MIN_VISIBILITY)) return null;
      return [r.x + p[0] * r.w, r.y + p[1] * r.h];
    };
    ctx.lineCap = "round";
    for (const [a, b] of bones) {
      const pa = pt(a), pb = pt(b);
      if (!pa || !pb) continue;
      ctx.strokeStyle = OUTLINE; ctx.lineWidth = 10 * s;
      ctx.beginPath(); ctx.moveTo(pa[0], pa[1]); ctx.lineTo(pb[0], pb[1]); ctx.stroke();
      ctx.strokeStyle = bad.has(a) || bad.has(b) ? BAD : GOOD; ctx.lineWidth = 6 * s;
      ctx.beginPath(); ctx.moveTo(pa[0], pa[1]); ctx.lineTo(pb[0], pb[1]); ctx.stroke();
    }
    const joints = new Set(bones.flat());
    for (const i of joints) {
      const p = pt(i);
      if (!p || i === 0) continue;
      const big = bad.has(i);
      if (big) { ctx.fillStyle = BAD; ctx.beginPath(); ctx.arc(p[0], p[1], 17 * s, 0, 2 * Math.PI); ctx.fill(); }
      ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(p[0], p[1], (big ? 12 : 9) * s, 0, 2 * Math.PI); ctx.fill();
      ctx.fillStyle = big ? BAD : GOOD;
      ctx.beginPath(); ctx.arc(p[0], p[1], (big ? 9 : 6.5) * s, 0, 2 * Math.PI); ctx.fill();
    }
  }

  function drawReadout(o, r, s) {
    // rep counter (top left)
    const label = `${o.reps}/${o.target}`;
    ctx.font = `800 ${Math.round(44 * s)}px sans-serif`;
    const w = ctx.measureText(label).width + 28 * s;
    ctx.fillStyle = "rgba(15,27,45,.78)"; roundRect(r.x + 12 * s, r.y + 12 * s, w, 62 * s, 12 * s); ctx.fill();
    ctx.fillStyle = "#fff"; ctx.textBaseline = "middle";
    ctx.fillText(label, r.x + 26 * s, r.y + 44 * s);
    // reps per leg under the counter (per-leg exercises): "Left 2 · Right 1"
    if (o.legs && o.legs.length) {
      const legs = o.legs.join(" · ");
      ctx.font = `700 ${Math.round(26 * s)}px sans-serif`;
      const lw = ctx.measureText(legs).width + 28 * s;
      ctx.fillStyle = "rgba(15,27,45,.78)"; roundRect(r.x + 12 * s, r.y + 80 * s, lw, 40 * s, 10 * s); ctx.fill();
      ctx.fillStyle = "#fff"; ctx.fillText(legs, r.x + 26 * s, r.y + 100 * s);
      ctx.font = `800 ${Math.round(44 * s)}px sans-serif`;
    }
    // hold countdown (top right) while in a hold
    if (o.hold_target_s > 0 && o.hold_s > 0) {
      const left = Math.max(0, Math.ceil(o.hold_target_s - o.hold_s));
      const t = left > 0 ? `${left}` : "✓";
      const hw = ctx.measureText(t).width + 28 * s;
      ctx.fillStyle = left > 0 ? "rgba(180,83,9,.9)" : "rgba(27,127,59,.9)";
      roundRect(r.x + r.w - hw - 12 * s, r.y + 12 * s, hw, 62 * s, 12 * s); ctx.fill();
      ctx.fillStyle = "#fff"; ctx.fillText(t, r.x + r.w - hw + 2 * s, r.y + 44 * s);
      if (o.hold_leg) {  // the leg being held, under the countdown
        ctx.font = `700 ${Math.round(26 * s)}px sans-serif`;
        const lw = ctx.measureText(o.hold_leg).width + 28 * s;
        ctx.fillStyle = "rgba(15,27,45,.78)";
        roundRect(r.x + r.w - lw - 12 * s, r.y + 80 * s, lw, 40 * s, 10 * s); ctx.fill();
        ctx.fillStyle = "#fff"; ctx.fillText(o.hold_leg, r.x + r.w - lw + 2 * s, r.y + 100 * s);
      }
    }
    // the cue (bottom banner)
    if (o.cue) {
      ctx.font = `700 ${Math.round(26 * s)}px sans-serif`;
      const h = 52 * s;
      ctx.fillStyle = CUE_COLOURS[o.cue_kind] || CUE_COLOURS.fix;
      ctx.globalAlpha = 0.92; roundRect(r.x + 10 * s, r.y + r.h - h - 10 * s, r.w - 20 * s, h, 12 * s); ctx.fill();
      ctx.globalAlpha = 1; ctx.fillStyle = "#fff";
      ctx.fillText(o.cue, r.x + 24 * s, r.y + r.h - 10 * s - h / 2, r.w - 48 * s);
    }
  }

  // Redraws only when there is something new (an answer, a resize, a stop): cheap when idle.
  function draw() {
    requestAnimationFrame(draw);
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.round(canvas.clientWidth * dpr), ch = Math.round(canvas.clientHeight * dpr);
    if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; dirty = true; }
    if (!dirty) return;
    dirty = false;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
    if (playing && overlay) {
      const r = contentRect();
      const s = Math.max(0.5, r.h / 480);
      drawSkeleton(overlay, r, s);
      drawReadout(overlay, r, s);
    }
  }

  // ------------------------------------------------------------------------------------ wiring

  startBtn.addEventListener("click", start);
  stopBtn.addEventListener("click", () => stop(true));
  deviceSel.addEventListener("change", switchCamera);
  window.addEventListener("pagehide", () => stop(true));
  window.addEventListener("message", (ev) => {
    const d = ev.data;
    if (!d || d.type !== "streamlit:render") return;
    args = d.args || {};
    showButtons();
    setHeight();
  });
  new ResizeObserver(setHeight).observe(document.body);
  requestAnimationFrame(draw);
  showButtons();
  post("streamlit:componentReady", { apiVersion: 1 });
})();
