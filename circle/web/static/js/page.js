// Shared by every dashboard page: calling the REST API with the session cookie, declarative action
// forms and buttons (data-method / data-path), status pills, and local times and ticking durations.
// Data only ever reaches the DOM through textContent and attributes, never as HTML.

// The states come from circle/states.py through <body data-states> (the active ones, each one's CSS class).
const STATES = JSON.parse(document.body.dataset.states);
export const ACTIVE = new Set(STATES.active);

export class ApiError extends Error {
  constructor(status, message, fields) {
    super(message);
    this.status = status;
    this.fields = fields || {};
  }
}

// The session's CSRF token (from <meta name="csrf-token">): every write with the session cookie must send it.
const CSRF_TOKEN = document.querySelector('meta[name="csrf-token"]')?.content || "";

// Call the REST API; resolve to the JSON answer (null when empty), reject with an ApiError.
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (!["GET", "HEAD"].includes(method)) init.headers["X-CSRF-Token"] = CSRF_TOKEN;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, "The server did not answer; check your connection and try again.");
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
  if (response.status === 401) {
    location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
  }
  if (!response.ok) {
    const message = (data && data.message) || `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, data && data.fields);
  }
  return data;
}

// Replace each {key} of a URL pattern with the URL-encoded value of data[key].
export function fillPattern(pattern, data) {
  return pattern.replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(String(data[key] ?? "")));
}

// Set a status pill's text and colour.
export function setStatus(pill, state) {
  if (!pill) return;
  pill.className = `status ${STATES.classes[state]}`;
  pill.textContent = state;
}

function setPath(target, dotted, value) {
  const keys = dotted.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] = node[key] || {};
  node[keys[keys.length - 1]] = value;
}

function parseParams(text) {
  const params = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf("=");
    if (at < 1) throw new ApiError(400, `Write each parameter as NAME=value (got "${line}").`);
    params[line.slice(0, at).trim()] = line.slice(at + 1);
  }
  return params;
}

function isEmpty(value) {
  return value === "" || (typeof value === "object" && value !== null && Object.keys(value).length === 0);
}

// Turn a form's named fields into the JSON body its data-type attributes describe.
export function readForm(form) {
  const body = {};
  for (const field of form.elements) {
    if (!field.name || field.disabled || field.type === "submit" || field.type === "button") continue;
    const kind = field.dataset.type || "string";
    let value;
    if (kind === "bool") value = field.checked;
    else if (kind === "checks") {
      const list = body[field.name] || (body[field.name] = []);
      if (field.checked) list.push(field.value);
      continue;
    } else if (kind === "int") value = field.value.trim() === "" ? "" : Number(field.value);
    else if (kind === "optint") value = field.value.trim() === "" ? null : Number(field.value);
    else if (kind === "list") value = field.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    else if (kind === "params") value = parseParams(field.value);
    else value = field.tagName === "TEXTAREA" ? field.value : field.value.trim();
    if ("omitEmpty" in field.dataset && isEmpty(value)) continue;
    setPath(body, field.name, value);
  }
  return body;
}

function say(box, text, kind) {
  if (!box) return;
  box.textContent = text;
  box.dataset.kind = kind;
}

function explain(err) {
  const details = Object.entries(err.fields || {}).map(([name, text]) => `${name}: ${text}`);
  return details.length && !err.message.includes(details[0]) ? `${err.message} (${details.join("; ")})` : err.message;
}

// Run the API call an action form or button declares, then reload, go to a page, or say it is done.
async function act(trigger, box, makeBody) {
  if (trigger.dataset.confirm && !window.confirm(trigger.dataset.confirm)) return;
  const submit = trigger.tagName === "FORM" ? trigger.querySelector("[type=submit]") : trigger;
  submit && (submit.disabled = true);
  say(box, "Working…", "busy");
  try {
    const answer = await api(trigger.dataset.method, trigger.dataset.path, makeBody());
    const done = trigger.dataset.done || "saved";
    if (done === "reload") location.reload();
    else if (done === "goto") location.assign(fillPattern(trigger.dataset.goto, (Array.isArray(answer) ? answer[0] : answer) || {}));
    else say(box, trigger.dataset.ok || "Saved.", "ok");
    trigger.dispatchEvent(new CustomEvent("api:done", { bubbles: true, detail: answer }));
  } catch (err) {
    say(box, explain(err), "error");
  } finally {
    submit && (submit.disabled = false);
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form.api-form");
  if (!form) return;
  event.preventDefault();
  act(form, form.querySelector(".form-msg"), () => readForm(form));
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-path]");
  if (!button) return;
  event.preventDefault();
  act(button, button.parentElement.querySelector(".form-msg"),
    () => (button.dataset.body ? JSON.parse(button.dataset.body) : undefined));
});

// "3m 07s", "1h 02m", "12s".
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  if (h) return `${h}h ${String(m).padStart(2, "0")}m`;
  return m ? `${m}m ${String(r).padStart(2, "0")}s` : `${r}s`;
}

// "512 Bytes", "1.4 kB", "3.0 MB" (as the pages' filesizeformat writes them).
export function formatBytes(size) {
  const units = ["kB", "MB", "GB", "TB"];
  if (size < 1000) return size === 1 ? "1 Byte" : `${size} Bytes`;
  let value = size / 1000, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function relative(seconds, now) {
  const ago = now - seconds;
  if (ago < 45) return "just now";
  if (ago < 3600) return `${Math.max(1, Math.round(ago / 60))} min ago`;
  if (ago < 86400) return `${Math.round(ago / 3600)} h ago`;
  return new Date(seconds * 1000).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

// Show <time data-ts> as "5 min ago" (full local time on hover) and tick running durations.
export function refreshTimes(root = document) {
  const now = Date.now() / 1000;
  for (const node of root.querySelectorAll("time[data-ts]")) {
    const ts = Number(node.dataset.ts);
    node.textContent = ts ? relative(ts, now) : "";
    if (ts) node.title = new Date(ts * 1000).toLocaleString();
  }
  for (const node of root.querySelectorAll(".duration[data-started]")) {
    const started = Number(node.dataset.started), finished = Number(node.dataset.finished);
    node.textContent = started ? formatDuration((finished || now) - started) : "";
  }
}

// Point a .duration element at new start and end times.
export function setDuration(node, started, finished) {
  if (!node) return;
  node.dataset.started = String(started || 0);
  node.dataset.finished = String(finished || 0);
  refreshTimes(node.parentElement || node);
}

refreshTimes();
setInterval(refreshTimes, 1000);
