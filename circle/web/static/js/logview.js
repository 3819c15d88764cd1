// The log of one step. A finished step's log comes in one request (plain text); a pending or running
// step's log comes from /ws/logs ({"lines": [{pos, time, out}, …]} messages: history, then live lines; then eof). Lines are rendered in slices of
// about 25 ms per animation frame into chunks the browser skips while off screen (the first line of each chunk
// restarts the CSS line counter, which the chunk's containment scopes), so 100 000 lines stay fast. Lines without escape codes skip the
// ANSI parser.

import { AnsiState, runs } from "./ansi.js";
import { socketUrl } from "./events.js";

const FRAME_BUDGET_MS = 25;
const LINES_PER_CHUNK = 500;
const LINE_HEIGHT = 20; // px, the size of a chunk not yet laid out

const PLAIN = /^[^\x00-\x08\x0b-\x1f\x7f]*$/;

function renderLine(text, state) {
  const row = document.createElement("div");
  row.className = "line";
  if (PLAIN.test(text)) {
    row.textContent = text;
    return row;
  }
  for (const run of runs(text, state)) {
    if (!run.style) { row.append(run.text); continue; }
    const span = document.createElement("span");
    span.textContent = run.text;
    if (run.style.classes.length) span.className = run.style.classes.join(" ");
    Object.assign(span.style, run.style.css);
    row.append(span);
  }
  return row;
}

function splitLines(out) {
  return (out.endsWith("\n") ? out.slice(0, -1) : out).split("\n");
}

export class LogView {
  // box: the scrolling element; note: a line of text under it; follow: the "follow" checkbox.
  constructor(box, note, follow) {
    this.box = box;
    this.note = note;
    this.follow = follow;
    this.socket = null;
    this.generation = 0;
    this.box.addEventListener("scroll", () => {
      if (this.frame) return;
      const atBottom = this.box.scrollTop + this.box.clientHeight >= this.box.scrollHeight - 24;
      if (this.follow.checked !== atBottom) this.follow.checked = atBottom;
    });
    this.follow.addEventListener("change", () => { if (this.follow.checked) this.scrollDown(); });
  }

  reset() {
    this.close();
    this.generation += 1;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.box.replaceChildren();
    this.queue = [];
    this.cursor = 0;
    this.lines = 0;
    this.lastPos = -1;
    this.ended = false;
    this.state = new AnsiState();
    this.chunk = null;
  }

  // Show a finished step's whole log from its plain-text URL.
  async load(textUrl) {
    this.reset();
    const generation = this.generation;
    this.say("Loading the log…");
    let text;
    try {
      const response = await fetch(textUrl, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`the server answered ${response.status}`);
      text = await response.text();
    } catch (err) {
      if (generation === this.generation) this.say(`The log could not be loaded: ${err.message}`);
      return;
    }
    if (generation !== this.generation) return;
    this.ended = true;
    if (text) this.queue = splitLines(text);
    this.schedule();
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
      this.schedule();
    } else if (message.lines) {
      for (const entry of message.lines) {
        if (entry.pos <= this.lastPos) continue;
        this.lastPos = entry.pos;
        for (const line of splitLines(entry.out)) this.queue.push(line);
      }
      this.schedule();
    }
  }

  schedule() {
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  newChunk() {
    this.chunk = document.createElement("div");
    this.chunk.className = "chunk";
    this.box.append(this.chunk);
  }

  flush() {
    this.frame = 0;
    const deadline = performance.now() + FRAME_BUDGET_MS;
    let fragment = document.createDocumentFragment();
    let size = this.chunk ? this.chunk.childElementCount : LINES_PER_CHUNK;
    while (this.cursor < this.queue.length && (this.cursor & 63 || performance.now() < deadline)) {
      if (size >= LINES_PER_CHUNK) {
        if (this.chunk) this.chunk.append(fragment);
        fragment = document.createDocumentFragment();
        this.newChunk();
        size = 0;
      }
      this.lines += 1;
      size += 1;
      const row = renderLine(this.queue[this.cursor], this.state);
      if (size === 1) row.style.counterReset = `line ${this.lines - 1}`;
      fragment.append(row);
      this.cursor += 1;
    }
    if (this.chunk) {
      this.chunk.append(fragment);
      this.chunk.style.containIntrinsicSize = `auto ${this.chunk.childElementCount * LINE_HEIGHT}px`;
    }
    if (this.cursor === this.queue.length) { this.queue = []; this.cursor = 0; }
    else this.schedule();
    if (this.follow.checked && !this.queue.length) this.scrollDown();
    const waiting = this.queue.length > 0 || !this.ended;
    this.say(this.lines ? "" : waiting ? "Waiting for output…" : "This step wrote nothing.");
  }

  scrollDown() {
    this.box.scrollTop = this.box.scrollHeight;
  }

  say(text) {
    this.note.textContent = text;
    this.note.hidden = !text;
  }
}
