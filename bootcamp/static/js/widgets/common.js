// Shared helpers for the annotation widgets: DOM building (never innerHTML, never style=""),
// the hidden answer field, the live region, label toolbars and tags that keep clear of each
// other. The image surface with its zoom is in surface.js.
const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") element.textContent = value;
    else if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

/** An HTML element: h("button", {type: "button", class: "x", onclick: fn}, "text", child). */
export function h(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element; geometry goes in attributes, which the CSP allows (unlike style=""). */
export function s(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A plain button that never submits the form: button("Delete", {"aria-label": ...}). */
export function button(label, attrs = {}, ...children) {
  return h("button", { type: "button", class: "secondary", ...attrs }, label, ...children);
}

/** The keyboard shortcuts, folded under "Keyboard shortcuts" where there is no room for them
 * or no keyboard to use them (a narrow or touch screen); open on a wide screen with a mouse. */
export function keysHelp(text) {
  const roomy = window.matchMedia("(min-width: 48rem) and (pointer: fine)").matches;
  return h("details", { class: "widget-keys", open: roomy },
    h("summary", { text: "Keyboard shortcuts" }), h("span", { text }));
}

/** A class attribute from parts, skipping false ones: cls("a", on && "is-on"). */
export const cls = (...parts) => parts.filter(Boolean).join(" ");

export const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

/** The answer already in the hidden field (after a wrong answer the page comes back with it). */
export function readAnswer(input) {
  try {
    const value = JSON.parse(input?.value || "[]");
    return Array.isArray(value) ? value : [];
  } catch {
    return [];
  }
}

/** Write the whole answer so that a plain form post sends it; tell listeners it changed. */
export function writeAnswer(input, value) {
  if (!input) return;
  input.value = JSON.stringify(value);
  input.dispatchEvent(new Event("change", { bubbles: true }));
}

/** A visible live region; returns say(message). */
export function announcer(root) {
  const status = h("p", { class: "widget-status", role: "status", "aria-live": "polite" });
  root.append(status);
  return (message) => {
    status.textContent = message;
  };
}

/** The label (0-based) picked by a number key: 1..9, then 0 for the tenth; -1 for other keys. */
export function numberKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || !/^[0-9]$/.test(event.key)) return -1;
  return event.key === "0" ? 9 : Number(event.key) - 1;
}

/** True while the trainee types into a field: widget shortcuts must leave those keys alone. */
export function typing(event) {
  const target = event.target;
  if (target.isContentEditable) return true;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type);
}

/** Arrow keys as a step in image pixels: 1, or 10 with Ctrl (or Cmd); null for other keys. */
export function arrowStep(event) {
  const step = event.ctrlKey || event.metaKey ? 10 : 1;
  const moves = {
    ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step],
  };
  return moves[event.key] || null;
}

/**
 * A toolbar of buttons, one per name, with number-key hints and a roving tab stop (arrow keys
 * move between buttons). With `toggle` the picked one is aria-pressed (a mode, e.g. the label
 * for new boxes); without it they are plain actions. onPick(index) runs on click.
 */
export function toolbar({ label, names, prefix, toggle = true, onPick }) {
  const element = h("div", { class: "widget-toolbar", role: "toolbar", "aria-label": label });
  const buttons = names.map((name, index) => {
    const key = index < 10 ? String((index + 1) % 10) : null;
    return element.appendChild(h(
      "button",
      {
        type: "button", class: `secondary widget-c${index % 8}`, tabindex: index ? -1 : 0,
        "aria-keyshortcuts": key, onclick: () => onPick(index),
      },
      h("span", { class: "visually-hidden", text: `${prefix}: ` }),
      h("span", { class: "widget-swatch", "aria-hidden": "true" }),
      name,
      key ? h("kbd", { "aria-hidden": "true", text: key }) : null,
    ));
  });
  element.addEventListener("keydown", (event) => {
    const at = buttons.indexOf(event.target);
    const moves = {
      ArrowLeft: at - 1, ArrowRight: at + 1, ArrowUp: at - 1, ArrowDown: at + 1,
      Home: 0, End: buttons.length - 1,
    };
    if (at < 0 || !(event.key in moves)) return;
    event.preventDefault();
    focusButton(clamp(moves[event.key], 0, buttons.length - 1));
  });
  function focusButton(index) {
    buttons.forEach((button, i) => button.setAttribute("tabindex", i === index ? 0 : -1));
    buttons[index].focus();
  }
  function select(index) {
    buttons.forEach((button, i) => {
      if (toggle) button.setAttribute("aria-pressed", String(i === index));
      button.setAttribute("tabindex", i === index ? 0 : -1);
    });
  }
  if (toggle) select(0);
  return { element, select };
}

/**
 * One entry of a widget's list of what was drawn: a button that selects it (`text` says what
 * it is), its label as a select, and Delete; `name` ("car box 2") names the entry's controls.
 */
export function listEntry({ text, name, label, labels, selected, onSelect, onRelabel, onDelete }) {
  return h("li", { class: selected ? "is-selected" : null },
    h("button", { type: "button", class: "link-button", onclick: onSelect, text }),
    h("select", {
      "aria-label": `Label of ${name}`, onchange: (event) => onRelabel(event.target.selectedIndex),
    }, ...labels.map((option) => h("option", { selected: option === label, text: option }))),
    button("Delete", { "aria-label": `Delete ${name}`, onclick: onDelete }));
}

/** Number keys anywhere in the widget but on its drawing (which has its own) pick the label
 * for new shapes. */
export function labelKeys(root, drawing, labels, pickLabel) {
  root.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || drawing.contains(event.target) || typing(event)) return;
    const pick = numberKey(event);
    if (pick >= 0 && pick < labels.length) {
      event.preventDefault();
      pickLabel(pick);
    }
  });
}

/**
 * Put each tag (an SVG <text> already in the layer) at the first of its candidate spots
 * ([x, y] of its baseline start, or [x, y, true] of its end; best first) where it overlaps no
 * tag placed before it and stays inside `bounds` (the part of the image shown); where every
 * spot is taken, at the one that overlaps least. The tag of a shape (`of`: x, y, w, h) out of
 * view stays by it, out of view, not on the edge. `gap` keeps tags that far apart. The same idea
 * as the feedback's captions (courses/feedback.py place_captions).
 */
export function placeTags(tags, bounds, gap) {
  const placed = [];
  for (const { element, candidates, of } of tags) {
    if (of && !touches(of, bounds)) {
      element.setAttribute("x", candidates[0][0]);
      element.setAttribute("y", candidates[0][1]);
      continue;
    }
    const size = measure(element);
    let best = null;
    for (const [left, y, end] of candidates) {
      const x = end ? left - size.w : left;
      const spot = {
        x: clamp(x, bounds.x, bounds.x + bounds.w - size.w),
        y: clamp(y, bounds.y + size.up, bounds.y + bounds.h - size.h + size.up),
      };
      const rect = {
        x: spot.x - gap, y: spot.y - size.up - gap, w: size.w + 2 * gap, h: size.h + 2 * gap,
      };
      // A spot pushed back onto the view comes after the free ones that were not (it may
      // cover its own point or corner).
      const pushed = spot.x !== x || spot.y !== y ? 1e-6 : 0;
      const cover = placed.reduce((sum, other) => sum + overlap(rect, other), 0) + pushed;
      if (!best || cover < best.cover) best = { spot, rect, cover };
      if (!cover) break;
    }
    if (!best) continue;
    element.setAttribute("x", best.spot.x);
    element.setAttribute("y", best.spot.y);
    placed.push(best.rect);
  }
}

/** A text's width, height and rise above its baseline, in user units (a guess when hidden). */
function measure(element) {
  const x = Number(element.getAttribute("x"));
  const y = Number(element.getAttribute("y"));
  const box = element.getBBox();
  if (box.width > 0) return { w: box.width + (box.x - x), h: box.height, up: y - box.y };
  const size = Number(element.getAttribute("font-size")) || 14;
  return { w: 0.62 * size * element.textContent.length, h: 1.2 * size, up: 0.95 * size };
}

const touches = (a, b) => a.x <= b.x + b.w && b.x <= a.x + a.w && a.y <= b.y + b.h && b.y <= a.y + a.h;
const overlap = (a, b) => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x))
  * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

/** Forget every child of `element`. */
export function clear(element) {
  element.replaceChildren();
}
