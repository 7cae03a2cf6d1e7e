// Boxes widget: draw, move, resize, relabel and delete labelled boxes on an image, with the mouse,
// a finger or the keyboard. The answer is [{label, x, y, w, h}] in whole image pixels.
import {
  announcer, arrowStep, clamp, clear, h, keysHelp, labelKeys, listEntry, numberKey, placeTags, readAnswer,
  toolbar, writeAnswer,
} from "./common.js";
import {
  boxGroup, cornerNear, dragging, fitBox, focusBox, resized,
} from "./rects.js";
import { surface, zoomKeys } from "./surface.js";

const KEYS = "number keys pick the label for new boxes, N adds a box in the middle, Tab goes to "
  + "each box, arrows move it (Ctrl: 10 pixels), Shift+arrows resize it, number keys change its "
  + "label, Delete removes it, Escape lets go of it";

export function mount(root, { spec, mediaUrl, input }) {
  const { width: W, height: H, labels } = spec;
  // 0 picks the tenth label when there is one; otherwise it shows the whole image.
  const keys = `${KEYS}; ${zoomKeys(labels.length < 10)}`;
  const valid = (b) => b && labels.includes(b.label)
    && [b.x, b.y, b.w, b.h].every(Number.isFinite) && b.w > 0 && b.h > 0;
  let boxes = readAnswer(input).filter(valid).map((b) => fit(b, b.label));
  let selected = -1;
  let label = 0;
  let drag = null;

  const picker = toolbar({
    label: "Label for new boxes", names: labels, prefix: "Label", onPick: pickLabel,
  });
  const help = h("p", { class: "widget-help" },
    "Drag on the image to draw a box with the chosen label. Click or tap a box to select it, "
    + "then drag it to move it or drag its corners to resize it. To box something small, zoom "
    + "in with + under the image or two fingers, and move around with two fingers or Pan. ",
    keysHelp(`Keys: ${keys}.`));
  const area = surface({
    width: W, height: H, mediaUrl, onResize: drawLayer, onGesture: cancelDrag,
    onZoom: (level) => say(`Zoom ${level}×`),
    label: `Image to annotate, ${W} by ${H} pixels. Keys: ${keys}.`,
    onImageError: () => say("The image could not be loaded. Reload the page to try again."),
  });
  const heading = h("h3", { class: "widget-list-title" });
  const list = h("ol", { class: "widget-list" });
  root.append(picker.element, help, area.frame);
  const say = announcer(root);
  root.append(heading, list);

  /** A box with whole-pixel corners, on the image and at least one pixel wide and high. */
  function fit(box, name) {
    return { label: name, ...fitBox(box, W, H) };
  }
  const describe = (b, i) => `${b.label} box ${i + 1} at ${b.x}, ${b.y}, ${b.w} by ${b.h}`;

  function commit(message) {
    writeAnswer(input, boxes);
    render();
    if (message) say(message);
  }

  function render() {
    drawLayer();
    heading.textContent = boxes.length ? `Your boxes (${boxes.length})` : "No boxes yet";
    clear(list);
    boxes.forEach((b, i) => list.append(listEntry({
      text: describe(b, i), name: `${b.label} box ${i + 1}`, label: b.label, labels,
      selected: i === selected, onSelect: () => select(i, true),
      onRelabel: (index) => relabel(i, index), onDelete: () => remove(i),
    })));
  }

  function drawLayer() {
    const refocus = area.layer.contains(document.activeElement);
    const u = area.unit();
    clear(area.layer);
    const tags = [];
    boxes.forEach((b, i) => area.layer.append(boxGroup(b, {
      index: i, colour: labels.indexOf(b.label), selected: i === selected,
      ariaLabel: describe(b, i), text: `${i + 1} ${b.label}`, u, tags,
      onFocus: () => select(i, false),
    })));
    placeTags(tags, area.view(), 2 * u);
    if (refocus && selected >= 0) focusBox(area.layer, selected);
  }

  function select(i, focus) {
    if (i !== selected) {
      selected = i;
      render();
    }
    if (focus && i >= 0) focusBox(area.layer, i);
  }

  function pickLabel(index) {
    label = index;
    picker.select(index);
    say(`Label for new boxes: ${labels[index]}`);
  }

  function relabel(i, index) {
    boxes[i] = { ...boxes[i], label: labels[index] };
    commit(`Relabelled box ${i + 1} as ${labels[index]}`);
  }

  function add(box) {
    boxes.push(box);
    selected = boxes.length - 1;
    commit(`Added ${box.label} box ${boxes.length}`);
  }

  function remove(i) {
    const [gone] = boxes.splice(i, 1);
    const hadFocus = area.layer.contains(document.activeElement);
    selected = boxes.length ? Math.min(i, boxes.length - 1) : -1;
    commit(`Deleted ${gone.label} box ${i + 1}`);
    if (hadFocus) (selected >= 0 ? focusBox(area.layer, selected) : area.element.focus());
  }

  // Keyboard: the surface and every box take the keys (they bubble up to the SVG).
  area.element.addEventListener("keydown", (event) => {
    const pick = numberKey(event);
    const step = arrowStep(event);
    const onBox = event.target.closest(".widget-box") && selected >= 0;
    if (pick >= 0 && pick < labels.length) (onBox ? relabel(selected, pick) : pickLabel(pick));
    else if (event.key === "n" || event.key === "N") {
      const w = Math.max(1, Math.round(W / 4));
      const ht = Math.max(1, Math.round(H / 4));
      add(fit({ x: (W - w) / 2, y: (H - ht) / 2, w, h: ht }, labels[label]));
      focusBox(area.layer, selected);
    } else if (step && selected >= 0) nudge(step, event.shiftKey);
    else if ((event.key === "Delete" || event.key === "Backspace") && selected >= 0) remove(selected);
    else if (event.key === "Escape" && selected >= 0) {
      select(-1);
      area.element.focus();
    } else return;
    event.preventDefault();
  });

  function nudge([dx, dy], resize) {
    const b = boxes[selected];
    const next = resize
      ? fit({ ...b, w: clamp(b.w + dx, 1, W - b.x), h: clamp(b.h + dy, 1, H - b.y) }, b.label)
      : { ...b, x: clamp(b.x + dx, 0, W - b.w), y: clamp(b.y + dy, 0, H - b.h) };
    boxes[selected] = next;
    commit(describe(next, selected));
  }

  /** Drop the drag in progress (two fingers took over for a pinch): as if it never began. */
  function cancelDrag() {
    if (!drag) return;
    const { mode, index, before, moved, pointer } = drag;
    drag = null;
    if (area.element.hasPointerCapture(pointer)) area.element.releasePointerCapture(pointer);
    if (moved && mode === "draw") boxes.splice(index, 1);
    else if (moved) boxes[index] = before;
    if (moved) selected = -1;
    render();
  }

  // Pointer: mouse, pen and touch alike. The SVG captures the pointer for the whole drag.
  function cornerAt(p, event) {
    if (selected < 0) return null;
    return cornerNear(boxes[selected], p, (event.pointerType === "mouse" ? 8 : 20) * area.unit());
  }

  area.element.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || drag) return;
    const p = area.point(event);
    const corner = cornerAt(p, event);
    // Only the selected box moves: a drag that starts on another box draws a new one (boxes
    // may nest), while a click on it selects it.
    const hit = event.target.closest?.(".widget-box");
    const pick = hit ? Number(hit.dataset.index) : -1;
    const mode = corner ? "resize" : pick >= 0 && pick === selected ? "move" : "draw";
    const index = mode === "draw" ? -1 : selected;
    const before = index >= 0 ? { ...boxes[index] } : null;
    const screen = [event.clientX, event.clientY];
    drag = { mode, corner, index, pick, before, origin: p, screen, moved: false, pointer: event.pointerId };
    if (index >= 0) focusBox(area.layer, index);
    else area.element.focus({ preventScroll: true });
    area.element.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  area.element.addEventListener("pointermove", (event) => {
    if (!dragging(drag, area.element, event)) return;
    const p = area.point(event);
    const b = drag.before;
    if (drag.mode === "draw") {
      if (drag.index < 0) {
        boxes.push(null);
        drag.index = selected = boxes.length - 1;
      }
      const { x, y } = drag.origin;
      boxes[drag.index] = fit({ x, y, w: p.x - x, h: p.y - y }, labels[label]);
    } else if (drag.mode === "move") {
      const x = clamp(b.x + Math.round(p.x - drag.origin.x), 0, W - b.w);
      const y = clamp(b.y + Math.round(p.y - drag.origin.y), 0, H - b.h);
      boxes[drag.index] = { ...b, x, y };
    } else {
      boxes[drag.index] = { label: b.label, ...resized(b, drag.corner, p, W, H) };
    }
    drawLayer();
  });

  function endDrag(event, cancelled) {
    if (!drag || !area.element.hasPointerCapture(event.pointerId)) return;
    area.element.releasePointerCapture(event.pointerId);
    const { mode, index, pick, before, moved } = drag;
    drag = null;
    if (cancelled && moved) {
      if (mode === "draw") boxes.splice(index, 1);
      else boxes[index] = before;
      selected = -1;
      return commit("Drawing cancelled");
    }
    if (!moved) return mode === "draw" ? select(pick, true) : render();
    if (mode === "draw") {
      selected = index;
      commit(`Added ${boxes[index].label} box ${index + 1}`);
    } else {
      commit(`${mode === "move" ? "Moved" : "Resized"} ${describe(boxes[index], index)}`);
    }
    focusBox(area.layer, index);
  }
  area.element.addEventListener("pointerup", (event) => endDrag(event, false));
  area.element.addEventListener("pointercancel", (event) => endDrag(event, true));

  labelKeys(root, area.element, labels, pickLabel);

  commit(boxes.length ? `Your last answer: ${boxes.length} box${boxes.length > 1 ? "es" : ""}` : "");
}
