// Shared helpers for the annotation widgets: DOM building (never innerHTML, never style=""),
// the hidden answer field, the live region, label toolbars and screen-to-image coordinates.
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
 * The drawing surface: an SVG in image pixels (viewBox = the image) that scales with its
 * container. point(event) turns a pointer position into image pixels via getScreenCTM, so it
 * holds at any zoom and width; unit() is the size of one screen pixel in image pixels.
 */
export function surface({ width, height, mediaUrl, label, onResize, onImageError }) {
  const image = s("image", { href: mediaUrl, x: 0, y: 0, width, height, preserveAspectRatio: "none" });
  const layer = s("g", { class: "widget-layer" });
  const element = s("svg", {
    class: "widget-surface", viewBox: `0 0 ${width} ${height}`, role: "application",
    tabindex: 0, "aria-label": label,
  }, image, layer);
  image.addEventListener("error", () => onImageError?.());
  // A long press must not open the browser's image menu (it would cancel the drag).
  element.addEventListener("contextmenu", (event) => event.preventDefault());
  let lastUnit = 0;
  new ResizeObserver(() => {
    const now = unit();
    if (Math.abs(now - lastUnit) > 1e-9) {
      lastUnit = now;
      onResize?.();
    }
  }).observe(element);

  function point(event, clip = true) {
    const matrix = element.getScreenCTM();
    const p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    return clip ? { x: clamp(p.x, 0, width), y: clamp(p.y, 0, height) } : { x: p.x, y: p.y };
  }
  function unit() {
    const matrix = element.getScreenCTM();
    return matrix && matrix.a ? 1 / matrix.a : 1;
  }
  return { element, image, layer, point, unit };
}

/** Forget every child of `element`. */
export function clear(element) {
  element.replaceChildren();
}
