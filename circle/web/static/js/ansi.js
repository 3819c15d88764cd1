// Terminal output to styled text runs: SGR colour codes become classes (256-colour and RGB become inline
// colours); cursor movement and other escape sequences are dropped; a carriage return keeps what was
// written after it, as a terminal shows a progress line.

const ESCAPE = /\x1b(?:\[([0-?]*)[ -\/]*([@-~])|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[()][A-Za-z0-9]|[\s\S]|$)/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]/g;
const LEVELS = [0, 95, 135, 175, 215, 255];

function color256(n) {
  if (n < 16) return { index: n };
  if (n < 232) {
    const c = n - 16;
    return { rgb: `rgb(${LEVELS[Math.floor(c / 36)]},${LEVELS[Math.floor(c / 6) % 6]},${LEVELS[c % 6]})` };
  }
  const gray = 8 + (n - 232) * 10;
  return { rgb: `rgb(${gray},${gray},${gray})` };
}

// The graphic state carried from one line to the next.
export class AnsiState {
  constructor() { this.reset(); }

  reset() {
    this.fg = null; this.bg = null;
    this.bold = false; this.dim = false; this.italic = false; this.underline = false;
  }

  // Apply the numbers of one SGR sequence ("1;31", "38;5;208", "" = reset).
  apply(params) {
    const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => Number(p) || 0);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code === 0) this.reset();
      else if (code === 1) this.bold = true;
      else if (code === 2) this.dim = true;
      else if (code === 3) this.italic = true;
      else if (code === 4) this.underline = true;
      else if (code === 22) { this.bold = false; this.dim = false; }
      else if (code === 23) this.italic = false;
      else if (code === 24) this.underline = false;
      else if (code >= 30 && code <= 37) this.fg = { index: code - 30 };
      else if (code >= 90 && code <= 97) this.fg = { index: code - 90 + 8 };
      else if (code === 39) this.fg = null;
      else if (code >= 40 && code <= 47) this.bg = { index: code - 40 };
      else if (code >= 100 && code <= 107) this.bg = { index: code - 100 + 8 };
      else if (code === 49) this.bg = null;
      else if (code === 38 || code === 48) {
        let value = null;
        if (codes[i + 1] === 5) { value = color256(codes[i + 2] || 0); i += 2; }
        else if (codes[i + 1] === 2) { value = { rgb: `rgb(${codes[i + 2] || 0},${codes[i + 3] || 0},${codes[i + 4] || 0})` }; i += 4; }
        if (code === 38) this.fg = value; else this.bg = value;
      }
    }
  }

  // The CSS classes and inline colours of text written now (null when plain).
  style() {
    const classes = [];
    const css = {};
    if (this.fg) this.fg.rgb ? (css.color = this.fg.rgb) : classes.push(`fg${this.fg.index}`);
    if (this.bg) this.bg.rgb ? (css.backgroundColor = this.bg.rgb) : classes.push(`bg${this.bg.index}`);
    if (this.bold) classes.push("ab");
    if (this.dim) classes.push("ad");
    if (this.italic) classes.push("ai");
    if (this.underline) classes.push("au");
    return classes.length || css.color || css.backgroundColor ? { classes, css } : null;
  }
}

// What a terminal would leave of one line: the text after the last carriage return.
export function visibleText(line) {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  return text.slice(text.lastIndexOf("\r") + 1);
}

// Split one line into [{text, style}] runs, updating `state` with the codes it meets; control characters go.
export function runs(line, state) {
  const text = visibleText(line);
  const out = [];
  let last = 0;
  const push = (raw) => {
    const chunk = raw.replace(CONTROL, "");
    if (chunk) out.push({ text: chunk, style: state.style() });
  };
  ESCAPE.lastIndex = 0;
  for (let match = ESCAPE.exec(text); match; match = ESCAPE.exec(text)) {
    push(text.slice(last, match.index));
    if (match[2] === "m") state.apply(match[1]);
    last = ESCAPE.lastIndex;
  }
  push(text.slice(last));
  return out;
}
