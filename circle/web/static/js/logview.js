// The log of one step, virtualised: every line is kept as data, and only the rows in view (and a margin) are
// in the DOM, each one ROW pixels high, inside a spacer as tall as the whole log — so 100 000 lines cost a
// few hundred elements. A finished step's log comes from the paged JSON API; a pending or running step's
// from /ws/logs ({"lines": [{pos, time, out}, …]}: history, then live lines, then eof). Each line has a
// #L<n> link (shift-click: a range #L<a>-L<b>), the time since the step started, and each command line
// ("+ cmd", written by the step script) starts a section its fold button hides. The view dispatches
// "log:reset" and "log:lines" ({from, to}) on its box for the find bar.

import { AnsiState, runs } from "./ansi.js";
import { socketUrl } from "./events.js";
import { formatDuration } from "./page.js";
import { PLAIN, findAll, renderEnd, renderRow, snapshot } from "./logrow.js";

const FRAME_BUDGET_MS = 25;
const ROW = 20; // px, the height of every row (.log .line in logview.css)
const OVERSCAN = 40; // rows rendered above and below the visible ones
const FIRST_PAGE = 2000; // lines of a finished step's log asked for first, so the first rows show at once
const PAGE = 50000; // lines each later request asks for (the API's maximum)
const SECTION = /^\+ /;

// {from, to} of "#L42" or "#L10-L20" (1-based line numbers), else null.
export function parseRange(hash) {
  const match = /^#L(\d+)(?:-L(\d+))?$/.exec(hash || "");
  if (!match) return null;
  const a = Number(match[1]), b = Number(match[2] || match[1]);
  return a >= 1 && b >= 1 ? { from: Math.min(a, b), to: Math.max(a, b) } : null;
}

function hashOf(range) {
  return range.from === range.to ? `#L${range.from}` : `#L${range.from}-L${range.to}`;
}

// The position of `value` in the sorted array `list` (or where it would go).
function lowerBound(list, value) {
  let lo = 0, hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid] < value) lo = mid + 1; else hi = mid;
  }
  return lo;
}

export class LogView {
  // box: the scrolling element; note: a line of text under it; follow: the "follow" checkbox.
  constructor(box, note, follow) {
    this.box = box;
    this.note = note;
    this.follow = follow;
    this.socket = null;
    this.generation = 0;
    this.spacer = document.createElement("div");
    this.spacer.className = "log-spacer";
    this.window = document.createElement("div");
    this.window.className = "log-window";
    this.spacer.append(this.window);
    this.box.replaceChildren(this.spacer);
    this.box.addEventListener("scroll", () => {
      if (!this.frame) {
        const atBottom = this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - 24;
        if (this.follow.checked !== atBottom) this.follow.checked = atBottom;
      }
      this.schedule();
    });
    this.box.addEventListener("click", (event) => this.clicked(event));
    this.follow.addEventListener("change", () => { if (this.follow.checked) { this.scrollDown(); this.schedule(); } });
    window.addEventListener("hashchange", () => this.goTo(parseRange(location.hash)));
    this.reset();
  }

  reset() {
    this.close();
    this.generation += 1;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.queue = [];
    this.cursor = 0;
    this.lastPos = -1;
    this.texts = []; // raw text of each line
    this.times = []; // seconds since the step started
    this.plain = []; // the text without escape codes (what search looks at)
    this.starts = []; // ANSI state each line starts in (null: none)
    this.headOf = []; // line index of the section head of each line (-1 before the first)
    this.heads = []; // section heads, in order
    this.collapsed = new Set();
    this.rows = []; // line indices shown, in order
    this.state = new AnsiState();
    this.style = null;
    this.ended = false;
    this.end = null;
    this.range = parseRange(location.hash);
    this.pending = Boolean(this.range);
    this.anchor = this.range ? this.range.from : 0;
    this.query = "";
    this.current = null;
    this.focus = null; // a line to scroll into the window at the next render
    this.version = 0;
    this.shown = "";
    this.spacer.style.height = "0px";
    this.window.replaceChildren();
    this.box.dispatchEvent(new CustomEvent("log:reset"));
  }

  // Show a finished step's whole log from its JSON URL (…/logs/{pid}): a small first page, then big ones.
  async load(url) {
    this.reset();
    const generation = this.generation;
    this.say("Loading the log…");
    let after = -1, limit = FIRST_PAGE;
    try {
      for (;;) {
        const response = await fetch(`${url}?after=${after}&limit=${limit}`,
          { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!response.ok) throw new Error(`the server answered ${response.status}`);
        const lines = await response.json();
        if (generation !== this.generation) return;
        this.take(lines);
        if (lines.length < limit) break;
        after = lines[lines.length - 1].pos;
        limit = PAGE;
      }
    } catch (err) {
      if (generation === this.generation) this.say(`The log could not be loaded: ${err.message}`);
      return;
    }
    this.ended = true;
    this.changed();
  }

  // Tail a pending or running step's log over a /ws/logs path, from its first line.
  tail(path) {
    this.reset();
    this.path = path;
    this.retry = 500;
    this.say("Waiting for output…");
    this.connect();
  }

  close() {
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
    clearTimeout(this.timer);
  }

  connect() {
    const socket = new WebSocket(socketUrl(this.path));
    this.socket = socket;
    socket.onopen = () => { this.retry = 500; };
    socket.onmessage = (event) => this.receive(JSON.parse(event.data));
    socket.onclose = () => {
      if (this.socket !== socket || this.ended) return;
      this.say("Connection lost; reconnecting…");
      this.timer = setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 10000);
    };
  }

  receive(message) {
    if (message.error) {
      this.ended = true;
      this.say(message.message || "The log is not available.");
    } else if (message.eof) {
      this.ended = true;
      this.changed();
    } else if (message.lines) {
      this.take(message.lines);
    }
  }

  // Queue [{pos, time, out}] entries not seen yet (a reconnect replays the history).
  take(entries) {
    for (const entry of entries) {
      if (entry.pos <= this.lastPos) continue;
      this.lastPos = entry.pos;
      if (!entry.out.includes("\n")) { this.queue.push(entry); continue; }
      for (const out of entry.out.replace(/\n$/, "").split("\n")) this.queue.push({ time: entry.time, out });
    }
    this.schedule();
  }

  // Say how the step ended ({text, kind}, or null while it runs); shown as the last row once the log is whole.
  setEnd(end) {
    if (JSON.stringify(end) === JSON.stringify(this.end)) return;
    this.end = end;
    this.changed();
  }

  // Mark `query` (lower case) in every line; `current` ({line, start}) is the match shown, scrolled to when `move`.
  setSearch(query, current, move) {
    this.query = query;
    this.current = current;
    if (current && move) this.reveal(current.line);
    this.changed();
  }

  lineCount() { return this.texts.length; }

  plainText(index) { return this.plain[index]; }

  add(text, time) {
    const index = this.texts.length;
    this.texts.push(text);
    this.times.push(time);
    this.starts.push(this.style);
    let plain = text;
    if (!PLAIN.test(text)) {
      plain = runs(text, this.state).map((run) => run.text).join("");
      this.style = snapshot(this.state);
    }
    this.plain.push(plain);
    if (SECTION.test(plain)) this.heads.push(index);
    const head = this.heads.length ? this.heads[this.heads.length - 1] : -1;
    this.headOf.push(head);
    if (head === index || !this.collapsed.has(head)) this.rows.push(index);
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  changed() {
    this.version += 1;
    this.schedule();
  }

  flush() {
    this.frame = 0;
    const deadline = performance.now() + FRAME_BUDGET_MS;
    const from = this.texts.length;
    while (this.cursor < this.queue.length && (this.cursor & 255 || performance.now() < deadline)) {
      const entry = this.queue[this.cursor++];
      this.add(entry.out, entry.time);
    }
    if (this.cursor === this.queue.length) { this.queue = []; this.cursor = 0; }
    else this.schedule();
    if (this.texts.length > from) {
      this.version += 1;
      this.box.dispatchEvent(new CustomEvent("log:lines", { detail: { from, to: this.texts.length } }));
    }
    this.spacer.style.height = `${this.total() * ROW}px`;
    const complete = this.ended && !this.queue.length;
    if (this.pending && (this.texts.length >= this.range.from || complete)) {
      this.pending = false;
      if (this.texts.length) this.reveal(Math.min(this.range.from, this.texts.length) - 1);
    } else if (this.follow.checked && !this.queue.length && !this.pending) this.scrollDown();
    this.render();
    this.say(this.texts.length ? "" : complete ? "This step wrote nothing." : "Waiting for output…");
  }

  total() {
    return this.rows.length + (this.ended && this.end ? 1 : 0);
  }

  render() {
    const total = this.total();
    const top = this.box.scrollTop, height = this.box.clientHeight || 600;
    const first = Math.max(0, Math.min(Math.floor(top / ROW), total) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + height) / ROW) + OVERSCAN);
    const key = `${first}:${last}:${this.version}`;
    if (key === this.shown) return;
    this.shown = key;
    const rows = [];
    for (let r = first; r < last; r++) rows.push(r < this.rows.length ? this.row(this.rows[r]) : renderEnd(this.end));
    this.window.style.transform = `translateY(${first * ROW}px)`;
    this.window.replaceChildren(...rows);
    if (this.focus !== null) { // bring a revealed line into the window too, not only into the box
      this.window.querySelector(`.line[data-n="${this.focus + 1}"]`)?.scrollIntoView({ block: "nearest" });
      this.focus = null;
    }
  }

  row(index) {
    const n = index + 1;
    const head = this.headOf[index] === index;
    const current = this.current && this.current.line === index ? this.current.start : -1;
    const marks = this.query ? findAll(this.plain[index], this.query).map(([a, b]) => [a, b, a === current]) : [];
    return renderRow({
      n, text: this.texts[index], time: this.times[index], start: this.starts[index], head, marks,
      collapsed: head && this.collapsed.has(index), took: head ? this.took(index) : undefined,
      highlighted: Boolean(this.range) && n >= this.range.from && n <= this.range.to,
    });
  }

  // How long the section headed by line `head` took ("" while it runs).
  took(head) {
    const next = this.heads[lowerBound(this.heads, head) + 1];
    let until;
    if (next !== undefined) until = this.times[next];
    else if (this.end && this.end.seconds !== undefined) until = this.end.seconds;
    else return "";
    return formatDuration(Math.max(0, until - this.times[head]));
  }

  // Rebuild the list of shown lines after a section was folded or unfolded.
  refold() {
    this.rows = [];
    for (let i = 0; i < this.texts.length; i++) {
      const head = this.headOf[i];
      if (head === i || !this.collapsed.has(head)) this.rows.push(i);
    }
    this.changed();
  }

  toggle(head) {
    if (this.collapsed.has(head)) this.collapsed.delete(head); else this.collapsed.add(head);
    this.refold();
  }

  // Unfold the section of line `index` if needed and scroll it into view (a third from the top).
  reveal(index) {
    const head = this.headOf[index];
    if (head !== index && this.collapsed.has(head)) { this.collapsed.delete(head); this.refold(); }
    const row = lowerBound(this.rows, index);
    this.follow.checked = false;
    this.spacer.style.height = `${this.total() * ROW}px`;
    const top = row * ROW, view = this.box.clientHeight;
    if (top < this.box.scrollTop || top + ROW > this.box.scrollTop + view) {
      this.box.scrollTop = Math.max(0, top - Math.floor(view / 3));
    }
    this.focus = index;
    this.changed();
  }

  // Highlight a range of lines (from the address) and scroll to its first line.
  goTo(range) {
    this.range = range;
    this.anchor = range ? range.from : 0;
    this.pending = false;
    if (range && this.texts.length >= range.from) this.reveal(range.from - 1);
    else if (range) this.pending = true;
    this.changed();
  }

  clicked(event) {
    const fold = event.target.closest("button.fold");
    if (fold) { this.toggle(Number(fold.closest(".line").dataset.n) - 1); return; }
    const link = event.target.closest("a.ln");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.altKey) return;
    event.preventDefault();
    const n = Number(link.dataset.n);
    if (event.shiftKey && this.anchor) this.range = { from: Math.min(this.anchor, n), to: Math.max(this.anchor, n) };
    else { this.range = { from: n, to: n }; this.anchor = n; }
    this.pending = false;
    history.replaceState(history.state, "", location.pathname + location.search + hashOf(this.range));
    this.changed();
  }

  scrollDown() {
    this.box.scrollTop = this.box.scrollHeight;
  }

  say(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }
}
