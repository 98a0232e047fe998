// Helpers every page uses. Data from the API is only ever written with
// textContent / setAttribute, never parsed as HTML.
"use strict";

const MT = {};

// el("a", {href: "/x", class: "y"}, "text", childNode) -> element
MT.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

MT.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

// GET /api/... with query params (arrays repeat the key). Throws {status, message}.
MT.api = async function (path, params) {
  const url = new URL(path, window.location.origin);
  for (const [key, value] of Object.entries(params || {})) {
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(key, v));
    else if (value !== undefined && value !== null) url.searchParams.set(key, value);
  }
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    body = { message: `The server answered ${response.status} without JSON.` };
  }
  if (!response.ok) {
    const err = new Error(body.message || `HTTP ${response.status}`);
    err.status = response.status;
    throw err;
  }
  return body;
};

MT.formatTime = function (ms) {
  if (ms === null || ms === undefined) return "";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
};

MT.formatDuration = function (start, end) {
  if (start === null || start === undefined) return "";
  const ms = (end === null || end === undefined ? Date.now() : end) - start;
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}min ${Math.round(s % 60)}s`;
  return `${Math.floor(m / 60)}h ${m % 60}min`;
};

MT.formatValue = function (value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return Number(value.toPrecision(6)).toString();
  }
  return String(value);
};

MT.shortCommit = function (sha) {
  return sha ? String(sha).slice(0, 7) : "";
};

MT.sourceName = function (source) {
  if (!source) return "";
  const parts = String(source).split(/[\\/]/);
  return parts[parts.length - 1];
};

// Models from MLflow's mlflow.log-model.history tag: [{artifact_path, flavors}, ...]
MT.modelNames = function (tags) {
  const raw = tags && tags["mlflow.log-model.history"];
  if (!raw) return [];
  try {
    const entries = JSON.parse(raw);
    return entries.map((m) => m.artifact_path || m.name).filter(Boolean);
  } catch (e) {
    return [];
  }
};

MT.statusBadge = function (status) {
  return MT.el("span", { class: `status status-${String(status).toLowerCase()}`, text: status });
};

MT.errorBox = function (message) {
  return MT.el("div", { class: "error", role: "alert", text: message });
};

// Re-run fn every `ms` while the tab is visible; returns a stop function.
MT.poll = function (fn, ms) {
  let stopped = false;
  let timer = null;
  const live = document.getElementById("live");
  const tick = async () => {
    if (stopped) return;
    if (!document.hidden) {
      try {
        await fn();
        if (live) live.textContent = `live - updated ${new Date().toLocaleTimeString()}`;
      } catch (e) {
        if (live) live.textContent = "live - server not answering";
      }
    }
    timer = setTimeout(tick, ms);
  };
  timer = setTimeout(tick, ms);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};

MT.POLL_MS = 3000;

MT.plotlyReady = function (container) {
  if (window.Plotly) return true;
  MT.clear(container).append(
    MT.el("p", {
      class: "muted chart-missing",
      text: "Charts need plotly: install it with `pip install plotly` and reload this page.",
    })
  );
  return false;
};

// Logged text for a plotly label, legend, title, annotation or hover. Plotly
// reads its own pseudo-HTML there (<a href>, <b>, <br>, &entities;), so a run
// named <a href="..."> would become a link: escape it to show as written.
MT.plotText = function (value) {
  return String(value === null || value === undefined ? "" : value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
};

// Plotly defaults shared by all charts.
MT.plotLayout = function (extra) {
  return Object.assign(
    {
      margin: { l: 60, r: 20, t: 30, b: 50 },
      height: 320,
      font: { family: "system-ui, sans-serif", size: 12 },
      paper_bgcolor: "#fff",
      plot_bgcolor: "#fff",
    },
    extra || {}
  );
};
MT.plotConfig = { displaylogo: false, responsive: true };

MT.main = function () {
  return MT.clear(document.getElementById("app"));
};
