// The repos list: each repo's last build follows /ws/events.

import { refreshTimes, setStatus } from "./page.js";
import { followEvents } from "./events.js";

const table = document.getElementById("repos");

function show(repoId, build) {
  const row = table.querySelector(`tr[data-repo-id="${repoId}"]`);
  if (!row || Number(row.dataset.number || 0) > build.number) return;
  row.dataset.number = String(build.number);
  const field = (name) => row.querySelector(`[data-field=${name}]`);
  setStatus(field("status"), build.status);
  field("link").href = `/repos/${repoId}/builds/${build.number}`;
  field("number").textContent = `#${build.number}`;
  field("branch").textContent = build.branch;
  field("commit").textContent = (build.commit || "").slice(0, 8);
  field("message").textContent = (build.message || "").split("\n")[0];
  field("created").dataset.ts = String(build.created);
  refreshTimes(row);
}

if (table) {
  followEvents((message) => {
    if (message.type === "build") show(message.repo_id, message.build);
  });
}
