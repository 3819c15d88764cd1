// The agents page follows the events feed: when an agent or a build changes (and every 30 s, since an agent
// that goes silent sends nothing), it re-reads the page and swaps in the server-rendered queue and agents.

import { refreshTimes } from "./page.js";
import { followEvents } from "./events.js";

const PERIOD_MS = 30000;
let pending = null;

async function reread() {
  pending = null;
  let text;
  try {
    const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    text = await response.text();
  } catch (err) {
    return; // the next event or period tries again
  }
  const fresh = new DOMParser().parseFromString(text, "text/html").getElementById("agents-live");
  const live = document.getElementById("agents-live");
  if (!fresh || !live) return;
  live.replaceWith(fresh);
  refreshTimes(fresh);
}

// Re-read soon, at most once per half second however many events arrive.
function soon() {
  if (pending === null) pending = setTimeout(reread, 500);
}

if (document.getElementById("agents-live")) {
  followEvents((message) => {
    if (message.type === "agent" || message.type === "build") soon();
  }, soon);
  document.addEventListener("api:done", soon);
  setInterval(soon, PERIOD_MS);
}
