// The repo page: new and changed builds appear in the list as /ws/events reports them (and, each time
// the feed connects, as the API lists them, so none is missed); the log search box.

import { api, refreshTimes, setDuration, setStatus } from "./page.js";
import { followEvents } from "./events.js";
import { setUpLogSearch } from "./reposearch.js";

const repoId = Number(document.getElementById("repo").dataset.repoId);
setUpLogSearch();
const table = document.getElementById("builds");
const template = document.getElementById("build-row-template");

function firstLine(text) {
  return (text || "").split("\n").map((line) => line.trim()).find(Boolean) || "(no message)";
}

function newRow(build) {
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.number = String(build.number);
  const fields = { number: String(build.number), message: firstLine(build.message), event: build.event,
    author: build.author || build.sender, branch: build.branch, commit: (build.commit || "").slice(0, 8) };
  for (const [name, value] of Object.entries(fields)) row.querySelector(`[data-field=${name}]`).textContent = value;
  for (const link of row.querySelectorAll("a.build-link")) link.href = `/repos/${repoId}/builds/${build.number}`;
  const body = table.tBodies[0];
  const older = [...body.rows].find((other) => Number(other.dataset.number) < build.number);
  body.insertBefore(row, older || null);
  document.getElementById("no-builds")?.remove();
  return row;
}

function show(build) {
  let row = table.querySelector(`tr[data-number="${build.number}"]`);
  if (!row) {
    if (table.dataset.live !== "yes") return;
    row = newRow(build);
  }
  setStatus(row.querySelector("[data-field=status]"), build.status);
  row.querySelector("time[data-field=created]").dataset.ts = String(build.created);
  setDuration(row.querySelector(".duration"), build.started, build.finished);
  refreshTimes(row);
}

// Catch up with the builds that changed while the feed was not connected.
async function catchUp() {
  if (table.dataset.live !== "yes") return;
  let builds;
  try { builds = await api("GET", `/api/repos/${repoId}/builds?per_page=50`); } catch (err) { return; }
  for (const build of builds.reverse()) show(build);
}

if (table) {
  followEvents((message) => {
    if (message.type === "build" && message.repo_id === repoId) show(message.build);
  }, catchUp);
}
