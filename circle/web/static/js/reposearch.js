// The repo page's log search: GET /api/repos/{id}/logs/search?q= over the newest builds' logs; each match
// links to its line on the build page (?pid=N#L<line>).

import { api } from "./page.js";
import { AnsiState, runs } from "./ansi.js";

const BUILDS = 20; // the API's default: the newest builds searched
const LIMIT = 100; // the API's default: matches answered at most

function plain(text) {
  return runs(text, new AnsiState()).map((run) => run.text).join("");
}

function result(repoId, match) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/repos/${repoId}/builds/${match.number}?pid=${match.pid}#L${match.pos + 1}`;
  link.textContent = `#${match.number} · ${match.step} · line ${match.pos + 1}`;
  const out = document.createElement("code");
  out.textContent = plain(match.out);
  item.append(link, out);
  return item;
}

// Wire the search form of the repo page, when it has one.
export function setUpLogSearch() {
  const form = document.getElementById("log-search");
  if (!form) return;
  const repoId = Number(form.dataset.repoId);
  const list = document.getElementById("log-results");
  const message = document.getElementById("log-search-msg");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = form.elements.q.value;
    message.textContent = "Searching…";
    message.dataset.kind = "busy";
    let matches;
    try {
      matches = await api("GET", `/api/repos/${repoId}/logs/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`);
    } catch (err) {
      message.textContent = err.message;
      message.dataset.kind = "error";
      return;
    }
    list.replaceChildren(...matches.map((match) => result(repoId, match)));
    list.hidden = !matches.length;
    message.dataset.kind = "ok";
    message.textContent = !matches.length ? `No line of the newest ${BUILDS} builds holds “${q}”.`
      : matches.length < LIMIT ? `${matches.length} matching line${matches.length > 1 ? "s" : ""} in the newest ${BUILDS} builds, newest first.`
        : `The first ${LIMIT} matching lines in the newest ${BUILDS} builds, newest first.`;
  });
}
