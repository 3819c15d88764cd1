// The build page: follows /ws/events to keep the status, steps, actions, artifacts and why workflows wait
// current, and tails the selected step's log. Clicking a step switches the log without reloading (the URL keeps ?pid=N).

import { ACTIVE, api, formatBytes, formatDuration, refreshTimes, setDuration, setStatus } from "./page.js";
import { followEvents } from "./events.js";
import { LogFind } from "./logfind.js";
import { LogView } from "./logview.js";

const root = document.getElementById("build");
const repoId = Number(root.dataset.repoId);
const number = Number(root.dataset.number);
const pane = document.getElementById("logpane");
const procs = document.getElementById("procs");
const graph = document.getElementById("workflow-graph");
const box = document.getElementById("log");
const view = box ? new LogView(box, document.getElementById("log-note"), document.getElementById("log-follow")) : null;
if (view) {
  new LogFind(view, document.getElementById("log-find"), document.getElementById("log-find-count"),
    document.getElementById("log-find-prev"), document.getElementById("log-find-next"));
}
let selected = Number(pane.dataset.pid || 0);
let pinned = pane.dataset.pinned === "yes";

const procNode = (pid) => procs.querySelector(`.proc[data-pid="${pid}"]`);
const procName = (pid) => procNode(pid)?.querySelector(".name")?.textContent || "";
const logUrl = (pid) => `/api/repos/${repoId}/builds/${number}/logs/${pid}`;

// How a finished step ended, for the log's last row: {kind, text, seconds}; null while it is active.
function endOf(pid) {
  const node = procNode(pid);
  const { state, error } = node.dataset;
  if (ACTIVE.has(state)) return null;
  if (state === "skipped" || state === "declined") return { kind: "skipped", text: "This step did not run." };
  const started = Number(node.dataset.started), finished = Number(node.dataset.finished);
  const seconds = started && finished ? finished - started : undefined;
  const took = seconds === undefined ? "" : ` after ${formatDuration(seconds)}`;
  const code = `exit code ${node.dataset.exitCode || 0}`;
  if (state === "killed") {
    const reason = [error, node.closest(".workflow")?.dataset.error].find((text) => /timed out/.test(text || ""));
    return reason ? { kind: "timedout", text: `Timed out${took} (${code}): ${reason}`, seconds }
      : { kind: "cancelled", text: `Cancelled${took} (${code})`, seconds };
  }
  const ok = state === "success";
  return { kind: ok ? "ok" : "failed", text: `${ok ? "Succeeded" : "Failed"}${took}: ${code}`, seconds };
}

function showProcHead(pid) {
  const node = procNode(pid);
  if (!node || !view) return;
  document.getElementById("log-title").textContent = procName(pid);
  setStatus(document.getElementById("log-state"), node.dataset.state);
  document.getElementById("log-raw").href = `${logUrl(pid)}?format=text`;
  const download = document.getElementById("log-download");
  download.href = `${logUrl(pid)}?format=text`;
  download.download = `${procName(pid)}.log`;
  view.setEnd(endOf(pid));
  const error = document.getElementById("log-error");
  error.textContent = node.dataset.error || "";
  error.hidden = !node.dataset.error;
}

function select(pid, remember) {
  if (!view || !procNode(pid)) return;
  selected = pid;
  for (const link of procs.querySelectorAll("a.proc-link")) link.classList.toggle("selected", Number(link.dataset.pid) === pid);
  pane.dataset.pid = String(pid);
  if (remember) history.pushState({ pid }, "", `?pid=${pid}`);
  if (ACTIVE.has(procNode(pid).dataset.state)) view.tail(`/ws/logs/${repoId}/${number}/${pid}`);
  else view.load(logUrl(pid));
  showProcHead(pid);
}

// A step or workflow link in the tree, or a workflow in the dependency graph above it, shows that proc's log.
function onProcClick(event) {
  const link = event.target.closest("a[data-pid]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  pinned = true;
  select(Number(link.dataset.pid), true);
}
procs.addEventListener("click", onProcClick);
graph?.addEventListener("click", onProcClick);

window.addEventListener("popstate", () => {
  const pid = Number(new URLSearchParams(location.search).get("pid"));
  if (pid && pid !== selected) select(pid, false);
});

function applyBuild(build) {
  const was = root.dataset.status;
  if (!ACTIVE.has(was) && ACTIVE.has(build.status)) { location.reload(); return; } // restarted in place
  root.dataset.status = build.status;
  if (Array.isArray(build.waiting)) showWaiting(build.waiting);
  else if (ACTIVE.has(build.status)) refreshWaiting();
  else showWaiting([]);
  setStatus(root.querySelector(".build-title .status"), build.status);
  setDuration(document.querySelector("#build-duration .duration"), build.started, build.finished);
  const error = document.getElementById("build-error");
  error.textContent = build.error || "";
  error.hidden = !build.error;
  for (const button of root.querySelectorAll("#actions [data-when], .workflow [data-when]")) {
    const when = button.dataset.when;
    button.hidden = !(when === "active" ? ACTIVE.has(build.status)
      : when === "blocked" ? build.status === "blocked" : !ACTIVE.has(build.status));
  }
  if (ACTIVE.has(was) && !ACTIVE.has(build.status)) refreshArtifacts();
  document.title = `${build.status === "success" ? "✓" : ACTIVE.has(build.status) ? "…" : "✗"} ${document.title.replace(/^[✓✗…] /, "")}`;
}

// Why workflows wait ("Waiting (deploy): waiting for workflow build"): the build's API answer says, so after
// a change the page asks again, at most once a second.
function showWaiting(items) {
  const list = document.getElementById("build-waiting");
  list.replaceChildren(...items.map((item) => {
    const entry = document.createElement("li");
    const label = document.createElement("span");
    label.className = "muted";
    label.textContent = items.length > 1 ? `Waiting (${item.proc}):` : "Waiting:";
    entry.append(label, ` ${item.reason}`);
    return entry;
  }));
  list.hidden = items.length === 0;
}

let waitingAsked = null;
function refreshWaiting() {
  if (waitingAsked) return;
  waitingAsked = setTimeout(async () => {
    let build;
    try { build = await api("GET", `/api/repos/${repoId}/builds/${number}`); } catch (err) { return; } finally { waitingAsked = null; }
    showWaiting(ACTIVE.has(build.status) ? build.waiting || [] : []);
  }, 1000);
}

function applyProc(proc) {
  const node = procNode(proc.pid);
  if (!node || procName(proc.pid) !== proc.name) { location.reload(); return; } // a new process tree
  const was = node.dataset.state;
  node.dataset.state = proc.state;
  node.dataset.error = proc.error || "";
  node.dataset.exitCode = String(proc.exit_code || 0);
  node.dataset.started = String(proc.started || 0);
  node.dataset.finished = String(proc.finished || 0);
  const link = node.querySelector("a.proc-link");
  link.title = `${proc.name}: ${proc.state}`;
  setDuration(link.querySelector(".duration"), proc.started, proc.finished);
  // A workflow's node holds its steps: look only in this proc's own link (and, for a workflow, its head).
  const exit = link.querySelector("[data-field=exit_code]");
  if (exit) { exit.textContent = `exit ${proc.exit_code}`; exit.hidden = !proc.exit_code; }
  const attempts = link.querySelector("[data-field=attempts]");
  if (attempts) { attempts.textContent = `attempt ${proc.attempts}`; attempts.hidden = !(proc.attempts > 1); }
  const machine = node.querySelector(":scope > .machine [data-field=machine]");
  if (machine && proc.machine) { machine.textContent = proc.machine; machine.parentElement.hidden = false; }
  const wf = graph?.querySelector(`.wf-node[data-pid="${proc.pid}"]`);
  if (wf) { wf.dataset.state = proc.state; wf.querySelector("a").title = `${proc.name}: ${proc.state}`; }
  if (proc.pid === selected || procNode(selected)?.closest(".workflow") === node) showProcHead(selected);
  // A step's files are stored before its final state: list them as it ends.
  if (proc.ppid && ACTIVE.has(was) && !ACTIVE.has(proc.state)) refreshArtifacts();
  if (ACTIVE.has(root.dataset.status)) refreshWaiting();
  if (!pinned && proc.ppid && proc.state === "running" && proc.pid !== selected) select(proc.pid, false);
}

// The artifacts card: the build's files grouped by the step that stored them, in pid order.
async function refreshArtifacts() {
  const root = document.getElementById("artifacts");
  let files;
  try { files = await api("GET", `/api/repos/${repoId}/builds/${number}/files?per_page=200`); } catch (err) { return; }
  const groups = new Map();
  for (const file of [...files].sort((a, b) => a.pid - b.pid)) {
    if (!groups.has(file.pid)) groups.set(file.pid, []);
    groups.get(file.pid).push(file);
  }
  root.replaceChildren(...[...groups].map(([pid, group]) => {
    const step = document.getElementById("artifact-step-template").content.firstElementChild.cloneNode(true);
    step.dataset.pid = pid;
    step.querySelector("[data-field=step]").textContent = procName(pid) || "the build";
    step.querySelector("ul").replaceChildren(...group.map(artifactItem));
    return step;
  }));
  const none = document.getElementById("no-artifacts");
  none.textContent = "No artifacts.";
  none.hidden = files.length > 0;
}

function artifactItem(file) {
  const item = document.getElementById("artifact-template").content.firstElementChild.cloneNode(true);
  item.dataset.kind = file.kind;
  item.querySelector("[data-field=download]").href = `/api/repos/${repoId}/builds/${number}/files/${file.id}`;
  item.querySelector("[data-field=name]").textContent = file.name;
  const size = item.querySelector("[data-field=size]");
  size.textContent = formatBytes(file.size);
  size.title = file.sha256 ? `sha256 ${file.sha256}` : "";
  item.querySelector("[data-field=report]").hidden = file.kind !== "report";
  return item;
}

// Catch up with whatever changed while the feed was not connected.
async function catchUp() {
  let build;
  try { build = await api("GET", `/api/repos/${repoId}/builds/${number}`); } catch (err) { return; }
  applyBuild(build);
  for (const proc of build.procs) applyProc(proc);
  refreshTimes();
}

root.addEventListener("api:done", (event) => {
  if (event.detail && event.detail.number === number) applyBuild(event.detail);
});

followEvents((message) => {
  if (message.repo_id !== repoId) return;
  if (message.type === "build" && message.build.number === number) applyBuild(message.build);
  else if (message.type === "proc" && message.number === number) applyProc(message.proc);
}, catchUp);

if (view && selected) select(selected, false);
