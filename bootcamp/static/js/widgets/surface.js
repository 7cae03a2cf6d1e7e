// The drawing surface of the boxes and points widgets: the image as an SVG in image pixels, and
// its zoom and pan (buttons, keys, Ctrl+wheel, two fingers, a pan mode). Zooming and panning only
// change the viewBox (the part of the image shown), so a pointer position turned into image
// pixels by getScreenCTM holds at any zoom and width: the answer never sees the zoom.
import { button, clamp, h, s } from "./common.js";

const MAX_ZOOM = 8;
const ZOOM_STEP = 1.5;

/** The zoom keys, for a widget's keyboard help; without `reset`, 0 is the widget's own key. */
export function zoomKeys(reset = true) {
  return `+ and − zoom in and out${reset ? ", 0 shows the whole image" : ""}, arrows on the `
    + "image move the view while zoomed in, Space+drag moves it with the mouse; Ctrl+wheel or "
    + "two fingers zoom";
}

/**
 * The surface: `element` (the SVG: the widget's keys and pointers go there) inside `frame`
 * (what the widget shows, the SVG and its zoom buttons). point(event) is a pointer position in
 * image pixels; unit() one screen pixel in image pixels; view() the part of the image shown.
 * onResize() runs when unit() changes (a zoom, a narrower window) and when the view moves;
 * onGesture() when two fingers take over from one (a pinch): the widget drops what the first
 * finger started.
 */
export function surface({ width, height, mediaUrl, label, onResize, onImageError, onGesture, onZoom }) {
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
  const view = viewer(element, width, height, (level) => {
    lastUnit = unit();
    onResize?.();
    if (level) onZoom?.(Math.round(level * 10) / 10);
  });
  const bar = zoomBar(view, element);
  // Below the image, so that the Tab order stays: the image, then its zoom.
  const frame = h("div", { class: "widget-stage" }, element, bar);
  zoomByKeys(frame, element, view, unit);
  zoomByWheel(element, view, point);
  zoomByPointers(element, view, { point, unit, onGesture });
  return { element, frame, image, layer, point, unit, view: view.shown };
}

/** The view: which part of the image is shown, at which zoom; onChange(z, or 0 for a pan). */
function viewer(element, W, H, onChange) {
  let view = { x: 0, y: 0, z: 1 };
  function show(next, zoomed) {
    const w = W / next.z;
    const ht = H / next.z;
    view = { z: next.z, x: clamp(next.x, 0, W - w), y: clamp(next.y, 0, H - ht) };
    element.setAttribute("viewBox", `${view.x} ${view.y} ${w} ${ht}`);
    element.classList.toggle("is-zoomed", view.z > 1);
    onChange(zoomed ? view.z : 0);
  }
  const centre = () => ({ x: view.x + W / view.z / 2, y: view.y + H / view.z / 2 });
  /** Zoom to `z`, keeping the image point `focus` where it is on the screen. */
  function zoomTo(z, focus = centre()) {
    const fit = clamp(z, 1, MAX_ZOOM);
    const next = Math.abs(fit - 1) < 0.02 ? 1 : fit;
    const fx = (focus.x - view.x) * view.z / W;
    const fy = (focus.y - view.y) * view.z / H;
    show({ z: next, x: focus.x - fx * W / next, y: focus.y - fy * H / next }, next !== view.z);
  }
  return {
    zoomTo,
    zoomBy: (factor, focus) => zoomTo(view.z * factor, focus),
    /** Move the view by (dx, dy) image pixels. */
    panBy: (dx, dy) => show({ ...view, x: view.x + dx, y: view.y + dy }, false),
    zoom: () => view.z,
    shown: () => ({ x: view.x, y: view.y, w: W / view.z, h: H / view.z, z: view.z }),
  };
}

/** The zoom buttons, finger-sized and named: one tab stop, the arrow keys go through them. */
function zoomBar(view, element) {
  const level = h("span", { class: "widget-zoom-level", "aria-hidden": "true", text: "1×" });
  const icon = (text, name, onclick) => button(h("span", { "aria-hidden": "true", text }), {
    class: "secondary widget-zoom-button", "aria-label": name, title: name, onclick,
  });
  const pan = button(h("span", { "aria-hidden": "true", text: "✥ " }), {
    class: "secondary widget-zoom-pan", "aria-pressed": "false",
    title: "One finger or the mouse moves the view instead of drawing",
    onclick: () => {
      const on = pan.getAttribute("aria-pressed") !== "true";
      pan.setAttribute("aria-pressed", String(on));
      element.classList.toggle("is-pan-mode", on);
    },
  }, "Pan", h("span", { class: "visually-hidden", text: " the image" }));
  const buttons = [
    icon("−", "Zoom out", () => view.zoomBy(1 / ZOOM_STEP)),
    icon("+", "Zoom in", () => view.zoomBy(ZOOM_STEP)),
    button("Reset", { class: "secondary", onclick: () => view.zoomTo(1) },
      h("span", { class: "visually-hidden", text: " zoom" })),
    pan,
  ];
  const bar = h("div", { class: "widget-zoom", role: "toolbar", "aria-label": "Zoom" },
    buttons[0], level, ...buttons.slice(1));
  const rove = (target) => buttons.forEach((b) => b.setAttribute("tabindex", b === target ? 0 : -1));
  rove(buttons[0]);
  bar.addEventListener("focusin", (event) => buttons.includes(event.target) && rove(event.target));
  bar.addEventListener("keydown", (event) => {
    const at = buttons.indexOf(event.target);
    const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (at < 0 || to === undefined) return;
    event.preventDefault();
    buttons[clamp(to, 0, buttons.length - 1)].focus();
  });
  new MutationObserver(() => {
    level.textContent = `${Math.round(view.zoom() * 10) / 10}×`;
  }).observe(element, { attributeFilter: ["viewBox"] });
  return bar;
}

/** + / − / 0, arrows to pan while zoomed in, Space held to drag the view with the mouse. The
 * frame hears the keys after the widget's own handlers on the SVG and its shapes, and takes only
 * what they left (so 0 stays a label key when a widget has ten labels, arrows move a box). */
function zoomByKeys(frame, element, view, unit) {
  frame.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || !element.contains(event.target)) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const step = 40 * unit();
    const pan = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (event.key === "+" || event.key === "=") view.zoomBy(ZOOM_STEP);
    else if (event.key === "-" || event.key === "−" || event.key === "_") view.zoomBy(1 / ZOOM_STEP);
    else if (event.key === "0") view.zoomTo(1);
    else if (event.key === " ") element.classList.add("is-space-held");
    else if (pan[event.key] && view.zoom() > 1 && !event.shiftKey) view.panBy(...pan[event.key]);
    else return;
    event.preventDefault();
  });
  const letGo = () => element.classList.remove("is-space-held");
  element.addEventListener("keyup", (event) => event.key === " " && letGo());
  element.addEventListener("blur", letGo, true);
}

/** Ctrl+wheel (and a touchpad pinch, which the browser sends as one) zooms at the pointer; a
 * plain wheel scrolls the page, as everywhere else. */
function zoomByWheel(element, view, point) {
  element.addEventListener("wheel", (event) => {
    if (!event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    view.zoomBy(Math.exp(clamp(-event.deltaY, -100, 100) / 200), point(event));
  }, { passive: false });
}

/** Two fingers pinch and pan; the middle button, Space+drag or the pan mode drag the view. The
 * SVG hears pointers first (capture), so the widget never draws with a panning pointer or with
 * the fingers of a pinch. */
function zoomByPointers(element, view, { point, unit, onGesture }) {
  const down = new Map();
  let pan = null;
  let pinch = null;
  const capture = (id) => {
    try {
      element.setPointerCapture(id);
    } catch {
      // a pointer the browser no longer knows: nothing to capture
    }
  };
  function fingers() {
    const [a, b] = [...down.values()];
    return { mid: { clientX: (a.x + b.x) / 2, clientY: (a.y + b.y) / 2 }, gap: Math.hypot(a.x - b.x, a.y - b.y) };
  }
  const panning = (event) => event.button === 1 || (event.button === 0
    && (element.classList.contains("is-space-held") || element.classList.contains("is-pan-mode")));

  element.addEventListener("pointerdown", (event) => {
    down.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (down.size === 2 && !pan) {
      onGesture?.();
      const start = fingers();
      // The image point between the fingers stays between them; the zoom follows their spread.
      pinch = { ...start, z: view.zoom(), focus: point(start.mid, false) };
      down.forEach((_, id) => capture(id));
    } else if (down.size === 1 && panning(event)) {
      pan = { id: event.pointerId, x: event.clientX, y: event.clientY };
      capture(event.pointerId);
      element.focus({ preventScroll: true });
    } else if (!pinch && !pan) return;
    event.preventDefault();
    event.stopImmediatePropagation();
  }, true);

  element.addEventListener("pointermove", (event) => {
    if (!down.has(event.pointerId)) return;
    down.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (pan?.id === event.pointerId) {
      view.panBy((pan.x - event.clientX) * unit(), (pan.y - event.clientY) * unit());
      Object.assign(pan, { x: event.clientX, y: event.clientY });
    } else if (pinch && down.size === 2) {
      // From the gesture's start, not step by step: a step lost at the image's edge is not
      // lost for good.
      const now = fingers();
      if (pinch.gap > 0 && now.gap > 0) view.zoomTo(pinch.z * now.gap / pinch.gap, pinch.focus);
      const at = new DOMPoint(pinch.focus.x, pinch.focus.y).matrixTransform(element.getScreenCTM());
      view.panBy((at.x - now.mid.clientX) * unit(), (at.y - now.mid.clientY) * unit());
    } else if (!pinch) return;
    event.stopImmediatePropagation();
  }, true);

  const up = (event) => {
    if (!down.delete(event.pointerId)) return;
    const mine = pinch || pan?.id === event.pointerId;
    if (pan?.id === event.pointerId) pan = null;
    if (pinch && !down.size) pinch = null;
    if (mine) event.stopImmediatePropagation();
  };
  element.addEventListener("pointerup", up, true);
  element.addEventListener("pointercancel", up, true);
}
