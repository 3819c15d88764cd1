// The find bar of the log view: every occurrence of the typed text (case ignored) is marked, "3 of 12"
// counts them, Enter / the ↓ button go to the next, Shift+Enter / ↑ to the previous (wrapping around).
// Lines that arrive later (a running step) are searched as they come.

import { findAll } from "./logrow.js";

export class LogFind {
  constructor(view, input, count, previous, next) {
    this.view = view;
    this.input = input;
    this.count = count;
    this.needle = "";
    this.matches = []; // [line index, start] of every occurrence, in order
    this.index = -1;
    input.addEventListener("input", () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.search(), 120);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { input.value = ""; this.search(); return; }
      if (event.key !== "Enter") return;
      event.preventDefault();
      clearTimeout(this.timer);
      if (input.value.toLowerCase() !== this.needle) this.search();
      else this.step(event.shiftKey ? -1 : 1);
    });
    previous.addEventListener("click", () => this.step(-1));
    next.addEventListener("click", () => this.step(1));
    view.box.addEventListener("log:reset", () => { this.needle = ""; this.matches = []; this.index = -1; this.search(); });
    view.box.addEventListener("log:lines", (event) => this.extend(event.detail.from, event.detail.to));
  }

  // Find the input's text in every line and go to the first occurrence.
  search() {
    const needle = this.input.value.toLowerCase();
    if (needle === this.needle) return;
    this.needle = needle;
    this.matches = [];
    this.index = -1;
    this.extend(0, this.view.lineCount(), true);
  }

  // Add the occurrences in lines [from, to); the first one found becomes the current one.
  extend(from, to, move = false) {
    if (!this.needle) { this.show(false); return; }
    for (let line = from; line < to; line++) {
      for (const [start] of findAll(this.view.plainText(line), this.needle)) this.matches.push([line, start]);
    }
    const first = this.index < 0 && this.matches.length > 0;
    if (first) this.index = 0;
    this.show(move && first);
  }

  step(delta) {
    if (!this.matches.length) return;
    this.index = (this.index + delta + this.matches.length) % this.matches.length;
    this.show(true);
  }

  show(move) {
    this.count.textContent = !this.needle ? ""
      : this.matches.length ? `${this.index + 1} of ${this.matches.length}` : "no matches";
    const current = this.matches[this.index];
    this.view.setSearch(this.needle, current ? { line: current[0], start: current[1] } : null, move);
  }
}
