// One row of the log view: the line-number link (#L42), the elapsed time, a section's fold button, and the
// text with its ANSI styles and the search matches marked. Gutter texts are CSS content (data-n, data-t), so
// copying the log copies only its text.

import { AnsiState, runs } from "./ansi.js";

export const PLAIN = /^[^\x00-\x08\x0b-\x1f\x7f]*$/;

// "0:05", "12:40", "1:02:03": seconds since the step started.
export function formatElapsed(seconds) {
  const s = Math.max(0, seconds | 0);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

// A copy of an ANSI state, or null when it styles nothing.
export function snapshot(state) {
  if (!state.style()) return null;
  return Object.freeze(Object.assign(new AnsiState(), state));
}

// The styled runs of a line whose text starts in ANSI state `start` (null: unstyled).
export function lineRuns(text, start) {
  if (PLAIN.test(text)) return [{ text, style: start ? start.style() : null }];
  return runs(text, Object.assign(new AnsiState(), start || {}));
}

// [start, end) ranges of `needle` (lower case) in `plain`, case ignored.
export function findAll(plain, needle) {
  const found = [];
  if (!needle) return found;
  const hay = plain.toLowerCase();
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) {
    found.push([at, at + needle.length]);
  }
  return found;
}

function styled(text, style) {
  if (!style) return document.createTextNode(text);
  const span = document.createElement("span");
  span.textContent = text;
  if (style.classes.length) span.className = style.classes.join(" ");
  Object.assign(span.style, style.css);
  return span;
}

// Append the runs to `parent`, the parts inside `marks` ([start, end, current]) wrapped in <mark>.
function appendMarked(parent, parts, marks) {
  let offset = 0;
  for (const run of parts) {
    const end = offset + run.text.length;
    const cuts = new Set([offset, end]);
    for (const [a, b] of marks) {
      if (a > offset && a < end) cuts.add(a);
      if (b > offset && b < end) cuts.add(b);
    }
    const points = [...cuts].sort((x, y) => x - y);
    for (let i = 0; i + 1 < points.length; i++) {
      const piece = styled(run.text.slice(points[i] - offset, points[i + 1] - offset), run.style);
      const mark = marks.find(([a, b]) => a <= points[i] && points[i] < b);
      if (!mark) { parent.append(piece); continue; }
      const box = document.createElement("mark");
      if (mark[2]) box.className = "current";
      box.append(piece);
      parent.append(box);
    }
    offset = end;
  }
}

// Build the element of one log line. `line`: {n, text, time, start, head, collapsed, took (text), highlighted, marks}.
export function renderRow(line) {
  const row = document.createElement("div");
  row.className = "line";
  row.dataset.n = String(line.n);
  if (line.highlighted) row.classList.add("hl");
  const number = document.createElement("a");
  number.className = "ln";
  number.href = `#L${line.n}`;
  number.dataset.n = String(line.n);
  const time = document.createElement("span");
  time.className = "lt";
  time.dataset.t = formatElapsed(line.time);
  row.append(number, time);
  if (line.head) {
    row.classList.add("section");
    const fold = document.createElement("button");
    fold.type = "button";
    fold.className = "fold";
    fold.setAttribute("aria-expanded", String(!line.collapsed));
    fold.setAttribute("aria-label", line.collapsed ? "show this command's output" : "hide this command's output");
    row.append(fold);
    if (line.collapsed) row.classList.add("collapsed");
  }
  const text = document.createElement("span");
  text.className = "lx";
  appendMarked(text, lineRuns(line.text, line.start), line.marks || []);
  row.append(text);
  if (line.took !== undefined) {
    const took = document.createElement("span");
    took.className = "took";
    took.dataset.t = line.took;
    row.append(took);
  }
  return row;
}

// The element of the final row: how the step ended ({text, kind}).
export function renderEnd(end) {
  const row = document.createElement("div");
  row.className = "line log-end";
  row.dataset.kind = end.kind;
  const text = document.createElement("span");
  text.className = "lx";
  text.textContent = end.text;
  row.append(text);
  return row;
}
