// Axis-aligned boxes on an image, in image pixels: what the boxes and tracks widgets share
// (fitting a dragged box to whole pixels, drawing it with its tag, its corner handles,
// focusing it and resizing it).
import { clamp, s } from "./common.js";

export const CORNERS = { nw: [0, 0], ne: [1, 0], sw: [0, 1], se: [1, 1] };

/** A box with whole-pixel corners on a W x H image, at least one pixel wide and high; w and h
 * may be negative (a drag up or to the left). */
export function fitBox({ x, y, w, h: ht }, W, H) {
  const x1 = clamp(Math.round(Math.min(x, x + w)), 0, W - 1);
  const y1 = clamp(Math.round(Math.min(y, y + ht)), 0, H - 1);
  const x2 = clamp(Math.round(Math.max(x, x + w)), x1 + 1, W);
  const y2 = clamp(Math.round(Math.max(y, y + ht)), y1 + 1, H);
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

/** Where a box's tag may go, best first: above it, inside its top, below it, inside its
 * bottom; at its left, then at its right (so close or nested boxes keep their tags apart).
 * Clear of the corner handles, which reach 5 screen pixels (`u` image pixels each) past a
 * corner. */
export function tagSpots(b, u) {
  const rows = [b.y - 5 * u, b.y + 17 * u, b.y + b.h + 16 * u, b.y + b.h - 6 * u];
  return [...rows.map((y) => [b.x + 7 * u, y]), ...rows.map((y) => [b.x + b.w - 7 * u, y, true])];
}

/** The four corner handles of a selected box, 10 screen pixels square. */
export function handles(b, u) {
  return Object.entries(CORNERS).map(([name, [fx, fy]]) => s("rect", {
    class: `widget-handle widget-handle-${name}`, width: 10 * u, height: 10 * u,
    x: b.x + fx * b.w - 5 * u, y: b.y + fy * b.h - 5 * u,
  }));
}

/** Box b drawn as item `index` of a layer: its frame, its tag `text` (pushed onto `tags` for
 * placeTags), the handles when selected; `onFocus` runs when the keyboard reaches it. */
export function boxGroup(b, { index, colour, selected, extraClass = "", ariaLabel, text, u, tags, onFocus }) {
  const tag = s("text", {
    class: "widget-tag", x: b.x, y: b.y, "font-size": 14 * u, "stroke-width": 3 * u, text,
  });
  tags.push({ element: tag, candidates: tagSpots(b, u), of: b });
  const group = s("g", {
    class: `widget-box widget-c${colour % 8}${selected ? " is-selected" : ""}${extraClass}`,
    "data-index": index, tabindex: 0, role: "button", "aria-label": ariaLabel,
  },
  s("rect", { class: "widget-frame", x: b.x, y: b.y, width: b.w, height: b.h }), tag);
  if (selected) group.append(...handles(b, u));
  group.addEventListener("focus", onFocus);
  return group;
}

/** Keyboard focus to box `index` of a layer drawn with boxGroup, without scrolling. */
export function focusBox(layer, index) {
  layer.querySelector(`[data-index="${index}"]`)?.focus({ preventScroll: true });
}

/** The name of the corner of b within `reach` image pixels of p, or null. */
export function cornerNear(b, p, reach) {
  for (const [name, [fx, fy]] of Object.entries(CORNERS)) {
    if (Math.abs(p.x - (b.x + fx * b.w)) <= reach && Math.abs(p.y - (b.y + fy * b.h)) <= reach) return name;
  }
  return null;
}

/** Box b with `corner` dragged to p, the opposite corner fixed. */
export function resized(b, corner, p, W, H) {
  const [fx, fy] = CORNERS[corner];
  const fixedX = fx ? b.x : b.x + b.w;
  const fixedY = fy ? b.y : b.y + b.h;
  return fitBox({ x: fixedX, y: fixedY, w: p.x - fixedX, h: p.y - fixedY }, W, H);
}

const MIN_DRAG = 4; // screen pixels: a shorter drag is a click, not a box

/** Whether a pointer move carries on `drag` ({screen: [x, y] where it began, moved}) on the
 * surface `element`: its pointer is the captured one and it has gone MIN_DRAG screen pixels
 * (once it has, every later move counts). */
export function dragging(drag, element, event) {
  if (!drag || !element.hasPointerCapture(event.pointerId)) return false;
  drag.moved ||= Math.hypot(event.clientX - drag.screen[0], event.clientY - drag.screen[1]) >= MIN_DRAG;
  return drag.moved;
}
