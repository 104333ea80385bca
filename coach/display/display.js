// The live board: every update arrives as a server-sent event with the whole screen's state.
"use strict";
const el = (id) => document.getElementById(id);
// What was shown and when (the page's clock), for the station's own latency checks.
window.coachSeen = [];
let restEndsAt = null;
let restTimer = null;  // runs only while resting: an idle page does nothing at all

function clock(seconds) {
  const s = Math.max(0, Math.ceil(seconds));
  return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
}

function showRest() {
  const box = el("rest");
  if (restEndsAt === null) { box.hidden = true; return; }
  box.hidden = false;
  box.textContent = "Rest " + clock((restEndsAt - performance.now()) / 1000);
}

function setLine(b) {
  if (b.finished) return "Workout finished";
  if (b.paused) return "Paused";
  if (!b.exercise) return "Say which exercise";
  if (b.in_set) return "Set " + b.set_no;
  return b.set_no ? "Set " + b.set_no + " done" : "Say \u201cstart set\u201d";
}

function faultLine(b) {
  if (!b.last_rep) return "";
  if (b.last_faults.length) return "Rep " + b.last_rep + ": " + b.last_faults.join(", ");
  return b.last_rep_judged ? "Rep " + b.last_rep + ": good form" : "";
}

function render(b) {
  el("exercise").textContent = b.exercise || "coach";
  el("set").textContent = setLine(b);
  el("count").textContent = String(b.count);
  el("count").dataset.digits = String(String(b.count).length);
  el("target").textContent = b.target ? "of " + b.target : "";
  el("faults").textContent = faultLine(b);
  el("cue").textContent = b.last_cue ? "\u201c" + b.last_cue + "\u201d" : "";
  el("camera").textContent = b.camera_text;
  el("camera").dataset.state = b.camera;
  restEndsAt = b.resting && b.rest_left_s !== null ? performance.now() + b.rest_left_s * 1000 : null;
  if (restEndsAt !== null && restTimer === null) restTimer = setInterval(showRest, 250);
  if (restEndsAt === null && restTimer !== null) { clearInterval(restTimer); restTimer = null; }
  showRest();
  const seen = { count: b.count, set_no: b.set_no, sent_ms: b.sent_ms, dom_ms: Date.now(), paint_ms: null };
  requestAnimationFrame(() => { seen.paint_ms = Date.now(); });
  window.coachSeen.push(seen);
  if (window.coachSeen.length > 1000) window.coachSeen.shift();
}

fetch("/state").then((r) => r.json()).then((b) => { if (b.t !== undefined && !window.coachSeen.length) render(b); });
const events = new EventSource("/events");
events.onmessage = (m) => render(JSON.parse(m.data));
events.onopen = () => { el("link").textContent = ""; };
events.onerror = () => { el("link").textContent = "Reconnecting to the coach\u2026"; };
