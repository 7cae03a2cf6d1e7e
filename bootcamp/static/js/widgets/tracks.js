// Tracks widget: follow objects through the frames of a clip with labelled boxes, with the mouse,
// a finger or the keyboard. The answer is [{id, label, boxes: {frame: {x, y, w, h}}}]: every
// frame where the track is in view gets its box, in whole image pixels (frames from 0).
//
// The clip is a frame strip (one image, the frames stacked top to bottom: courses/clips.py); the
// surface (surface.js: zoom and pan) shows one frame-sized window of it and moves the strip up
// `frame` frames. A track is kept as key frames, each a box or "out of view from here": frames
// between two boxes are interpolated linearly (drawn dashed), and after its last box a track
// stays where it is until a key frame marks it out of view, as CVAT keeps tracks. Moving or
// resizing a box makes its frame a key frame.
import {
  announcer, arrowStep, button, clamp, clear, h, keysHelp, labelKeys, listEntry, numberKey, placeTags,
  readAnswer, s, toolbar, typing, writeAnswer,
} from "./common.js";
import {
  boxGroup, cornerNear, dragging, fitBox, focusBox, resized,
} from "./rects.js";
import { surface } from "./surface.js";

const FRAMES_A_SECOND = 6;
const KEYS = "number keys pick the label for new tracks, , and . (or Left and Right on the "
  + "picture) go to the previous and next frame, Home and End on the picture to the first and "
  + "last, P plays and pauses, N starts a new track with a box in the middle, Tab goes to each "
  + "box on this frame, arrows move it (Ctrl: 10 pixels) and Shift+arrows resize it (either "
  + "makes this frame a key frame), K makes this frame a key frame of the selected track, O "
  + "marks it out of view from this frame on (again: back in view), Delete removes this frame's "
  + "key frame, number keys on a box change its track's label, Escape lets go of the track";

export function mount(root, { spec, mediaUrl, input }) {
  const { width: W, height: H, frames: F, labels } = spec;
  // Left and Right step frames on the picture, so while zoomed in only Up and Down move the view;
  // 0 picks the tenth label when there is one, else it shows the whole frame.
  const keys = `${KEYS}; + and − zoom in and out${labels.length < 10 ? ", 0 shows the whole frame" : ""}, `
    + "Up and Down on the picture move the view while zoomed in, Space+drag moves it with the "
    + "mouse; Ctrl+wheel or two fingers zoom";
  let tracks = [];
  let selected = -1;
  let frame = 0;
  let label = 0;
  let drag = null;
  let timer = null;

  const picker = toolbar({
    label: "Label for new tracks", names: labels, prefix: "Label", onPick: pickLabel,
  });
  const help = h("p", { class: "widget-help" },
    "Go to a frame where an object comes into view and drag on the picture to draw its box: "
    + "that starts a track. Go further on and move or resize the box where the object has moved: "
    + "frames in between follow it in a straight line (dashed boxes). Where it leaves the "
    + "picture, press “Out of view from here”. With a track selected, drawing on a frame where it "
    + "is out of view brings it back; with none selected, drawing starts a new track. ",
    keysHelp(`Keys: ${keys}.`));
  const area = surface({
    width: W, height: H, mediaUrl, onResize: drawLayer, onGesture: cancelDrag,
    onZoom: (level) => say(`Zoom ${level}×`),
    label: `Clip to annotate, ${F} frames of ${W} by ${H} pixels. Keys: ${keys}.`,
    onImageError: () => say("The clip could not be loaded. Reload the page to try again."),
  });
  area.image.setAttribute("height", H * F);

  const slider = h("input", {
    type: "range", min: 1, max: F, step: 1, value: 1, class: "widget-frame-slider",
    "aria-label": "Frame", oninput: (event) => goTo(Number(event.target.value) - 1, false),
  });
  const count = h("output", { class: "widget-now", "aria-hidden": "true" });
  const play = button("Play", { "aria-pressed": "false", onclick: () => toggle() });
  const frames = h("div", { class: "widget-frames", role: "group", "aria-label": "Frames" },
    button("◀ Previous", { "aria-label": "Previous frame", onclick: () => goTo(frame - 1, true) }),
    play,
    button("Next ▶", { "aria-label": "Next frame", onclick: () => goTo(frame + 1, true) }),
    slider, count);
  const timeline = s("svg", {
    class: "widget-timeline", viewBox: `0 0 ${F} 1`, preserveAspectRatio: "none",
    "aria-hidden": "true",
  });
  const keyButton = button("Key frame here", { onclick: () => makeKey() });
  const outButton = button("Out of view from here", { "aria-pressed": "false", onclick: () => toggleOut() });
  const unkeyButton = button("Remove key frame", { onclick: () => removeKey() });
  const trackBar = h("div", { class: "widget-toolbar", role: "group", "aria-label": "Selected track" },
    button("New track", { onclick: () => newTrack() }), keyButton, outButton, unkeyButton);
  const heading = h("h3", { class: "widget-list-title" });
  const list = h("ol", { class: "widget-list" });
  root.append(picker.element, help, area.frame, frames, timeline, trackBar);
  const say = announcer(root);
  root.append(heading, list);

  const fit = (box) => fitBox(box, W, H);

  /** The box `t` of the way from a to b, fitted to whole pixels. */
  const between = (a, b, t) => fit({
    x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, w: a.w + (b.w - a.w) * t, h: a.h + (b.h - a.h) * t,
  });

  /** Where a track is at frame f: {box, key} (key: f is one of its key frames), or null when
   * it is out of view there. */
  function boxAt(track, f) {
    let before = null;
    let after = null;
    for (const key of track.keys) {
      if (key.frame <= f) before = key;
      else {
        after = key;
        break;
      }
    }
    if (!before?.box) return null;
    if (before.frame === f) return { box: before.box, key: true };
    if (!after?.box) return { box: before.box, key: false };
    return { box: between(before.box, after.box, (f - before.frame) / (after.frame - before.frame)), key: false };
  }

  /** Tracks from an answer: each run of frames in view becomes key frames where the boxes
   * leave a straight line (so the widget's own answer comes back as it was drawn), and an
   * "out of view" key after each run that ends before the last frame. */
  function fromAnswer(answer) {
    const valid = (b) => b && [b.x, b.y, b.w, b.h].every(Number.isFinite) && b.w > 0 && b.h > 0;
    const found = [];
    for (const track of answer) {
      if (!track || !labels.includes(track.label) || typeof track.boxes !== "object" || !track.boxes) continue;
      const boxes = new Map();
      for (const [key, box] of Object.entries(track.boxes)) {
        const f = Number(key);
        if (Number.isInteger(f) && f >= 0 && f < F && valid(box)) boxes.set(f, fit(box));
      }
      found.push({ id: track.id, label: track.label, keys: keyFrames(boxes) });
    }
    const ids = found.map((t) => t.id);
    let next = 1;
    for (const track of found) {  // ids must be unique whole numbers or names
      if (!(Number.isInteger(track.id) || typeof track.id === "string") || ids.indexOf(track.id) !== ids.lastIndexOf(track.id)) {
        while (ids.includes(next)) next += 1;
        track.id = next;
        ids.push(next);
      }
    }
    return found;
  }

  function keyFrames(boxes) {
    const order = [...boxes.keys()].sort((a, b) => a - b);
    const keys = [];
    const same = (a, b) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
    const straight = (k, j) => {
      for (let m = k + 1; m < j; m += 1) {
        if (!same(between(boxes.get(k), boxes.get(j), (m - k) / (j - k)), boxes.get(m))) return false;
      }
      return true;
    };
    let start = 0;
    while (start < order.length) {
      let end = start;
      while (end + 1 < order.length && order[end + 1] === order[end] + 1) end += 1;
      let last = order[start];
      keys.push({ frame: last, box: boxes.get(last) });
      for (let j = last + 1; j <= order[end]; j += 1) {
        if (!straight(last, j)) {
          last = j - 1;
          keys.push({ frame: last, box: boxes.get(last) });
        }
      }
      // After its last key frame a track stays where it is: a key at the end only if it moved.
      const still = order.slice(order.indexOf(last), end + 1).every((f) => same(boxes.get(f), boxes.get(last)));
      if (!still) keys.push({ frame: order[end], box: boxes.get(order[end]) });
      if (order[end] + 1 < F) keys.push({ frame: order[end] + 1, box: null });
      start = end + 1;
    }
    return keys;
  }

  function toAnswer() {
    return tracks.map((track) => {
      const boxes = {};
      for (let f = 0; f < F; f += 1) {
        const at = boxAt(track, f);
        if (at) boxes[String(f)] = at.box;
      }
      return { id: track.id, label: track.label, boxes };
    });
  }

  function setKey(track, f, box) {
    track.keys = track.keys.filter((key) => key.frame !== f);
    track.keys.push({ frame: f, box });
    track.keys.sort((a, b) => a.frame - b.frame);
  }

  const nameOf = (i) => `track ${tracks[i].id} (${tracks[i].label})`;
  const where = (b) => `at ${b.x}, ${b.y}, ${b.w} by ${b.h}`;

  function runs(track) {
    const shown = [];
    for (let f = 0; f < F; f += 1) {
      if (!boxAt(track, f)) continue;
      const last = shown[shown.length - 1];
      if (last && last[1] === f - 1) last[1] = f;
      else shown.push([f, f]);
    }
    return shown.map(([a, b]) => (a === b ? `${a + 1}` : `${a + 1}–${b + 1}`));
  }

  function describe(i) {
    const track = tracks[i];
    const shown = runs(track);
    const boxes = track.keys.filter((key) => key.box).map((key) => key.frame + 1);
    const view = shown.length ? `in view in frame${shown.length === 1 && !shown[0].includes("–") ? "" : "s"} ${shown.join(", ")}` : "no box yet";
    return `Track ${track.id}, ${track.label}: ${view}${boxes.length ? `; key frames ${boxes.join(", ")}` : ""}`;
  }

  function commit(message) {
    writeAnswer(input, toAnswer());
    render();
    if (message) say(message);
  }

  function render() {
    drawLayer();
    drawTimeline();
    heading.textContent = tracks.length ? `Your tracks (${tracks.length})` : "No tracks yet";
    clear(list);
    tracks.forEach((track, i) => list.append(listEntry({
      text: describe(i), name: `track ${track.id}`, label: track.label, labels,
      selected: i === selected, onSelect: () => select(i, true),
      onRelabel: (index) => relabel(i, index), onDelete: () => remove(i),
    })));
    const track = tracks[selected];
    const at = track && boxAt(track, frame);
    const outKey = track?.keys.some((key) => key.frame === frame && !key.box);
    keyButton.disabled = !at || at.key;
    outButton.disabled = !track || (!at && !outKey);
    outButton.setAttribute("aria-pressed", String(Boolean(outKey)));
    unkeyButton.disabled = !track?.keys.some((key) => key.frame === frame);
  }

  function drawFrame() {
    area.image.setAttribute("y", -frame * H);
    slider.value = String(frame + 1);
    count.textContent = `Frame ${frame + 1} of ${F}`;
    slider.setAttribute("aria-valuetext", `Frame ${frame + 1} of ${F}`);
  }

  function drawLayer() {
    const refocus = area.layer.contains(document.activeElement);
    const u = area.unit();
    clear(area.layer);
    const tags = [];
    tracks.forEach((track, i) => {
      const at = boxAt(track, frame);
      if (!at) return;
      const b = at.box;
      area.layer.append(boxGroup(b, {
        index: i, colour: labels.indexOf(track.label), selected: i === selected,
        extraClass: at.key ? "" : " is-interpolated",
        ariaLabel: `${nameOf(i)} ${where(b)}, ${at.key ? "key frame" : "in between, follows the key frames"}`,
        text: `${track.id} ${track.label}`, u, tags, onFocus: () => select(i, false),
      }));
    });
    placeTags(tags, area.view(), 2 * u);
    if (refocus && selected >= 0) focusBox(area.layer, selected);
  }

  /** The selected track frame by frame: key frames dark, frames in between light, out of view
   * empty, the current frame marked; a click goes to that frame. */
  function drawTimeline() {
    clear(timeline);
    const track = tracks[selected];
    for (let f = 0; f < F; f += 1) {
      const at = track && boxAt(track, f);
      const state = !at ? "out" : at.key ? "key" : "between";
      timeline.append(s("rect", { class: `widget-cell is-${state}`, x: f + 0.06, y: 0.15, width: 0.88, height: 0.7 }));
    }
    timeline.append(s("rect", { class: "widget-cell-now", x: frame, y: 0, width: 1, height: 1 }));
  }
  timeline.addEventListener("pointerdown", (event) => {
    const box = timeline.getBoundingClientRect();
    goTo(Math.floor(((event.clientX - box.left) / box.width) * F), true);
  });

  function select(i, focus) {
    if (i !== selected) {
      selected = i;
      render();
    }
    if (focus && i >= 0) focusBox(area.layer, i);
  }

  function goTo(f, speak) {
    const next = clamp(f, 0, F - 1);
    if (next === frame && !speak) return;
    frame = next;
    drawFrame();
    render();
    if (speak) {
      const shown = tracks.filter((track) => boxAt(track, frame)).length;
      say(`Frame ${frame + 1} of ${F}: ${shown} track${shown === 1 ? "" : "s"} in view`);
    }
  }

  function toggle(on = timer === null) {
    if (on) {
      if (frame === F - 1) goTo(0, false);
      timer = setInterval(() => {
        if (frame >= F - 1) return toggle(false);
        return goTo(frame + 1, false);
      }, 1000 / FRAMES_A_SECOND);
    } else if (timer !== null) {
      clearInterval(timer);
      timer = null;
      say(`Paused at frame ${frame + 1} of ${F}`);
    }
    play.textContent = timer === null ? "Play" : "Pause";
    play.setAttribute("aria-pressed", String(timer !== null));
  }

  function pickLabel(index) {
    label = index;
    picker.select(index);
    say(`Label for new tracks: ${labels[index]}`);
  }

  function relabel(i, index) {
    tracks[i].label = labels[index];
    commit(`Relabelled track ${tracks[i].id} as ${labels[index]}`);
  }

  function nextId() {
    return Math.max(0, ...tracks.map((t) => (Number.isInteger(t.id) ? t.id : 0))) + 1;
  }

  function addTrack(box) {
    tracks.push({ id: nextId(), label: labels[label], keys: [{ frame, box }] });
    selected = tracks.length - 1;
    commit(`Started ${nameOf(selected)} at frame ${frame + 1}`);
  }

  function newTrack() {
    toggle(false);
    const w = Math.max(1, Math.round(W / 4));
    const ht = Math.max(1, Math.round(H / 4));
    addTrack(fit({ x: (W - w) / 2, y: (H - ht) / 2, w, h: ht }));
    focusBox(area.layer, selected);
  }

  function remove(i) {
    const name = nameOf(i);
    const hadFocus = area.layer.contains(document.activeElement);
    tracks.splice(i, 1);
    selected = -1;
    commit(`Deleted ${name}`);
    if (hadFocus) area.element.focus();
  }

  function makeKey() {
    const track = tracks[selected];
    const at = track && boxAt(track, frame);
    if (!at || at.key) return;
    setKey(track, frame, at.box);
    commit(`Frame ${frame + 1} is a key frame of ${nameOf(selected)}`);
  }

  function toggleOut() {
    const track = tracks[selected];
    if (!track) return;
    if (track.keys.some((key) => key.frame === frame && !key.box)) {
      track.keys = track.keys.filter((key) => key.frame !== frame);
      commit(`${nameOf(selected)} is back in view at frame ${frame + 1}`);
    } else if (boxAt(track, frame)) {
      setKey(track, frame, null);
      commit(`${nameOf(selected)} is out of view from frame ${frame + 1}`);
    }
  }

  function removeKey() {
    const track = tracks[selected];
    if (!track?.keys.some((key) => key.frame === frame)) return;
    track.keys = track.keys.filter((key) => key.frame !== frame);
    commit(`Removed the key frame at frame ${frame + 1} of ${nameOf(selected)}`);
  }

  function place(i, box, message) {
    setKey(tracks[i], frame, box);
    commit(`${message} ${nameOf(i)} ${where(box)} at frame ${frame + 1}`);
  }

  // Keys anywhere in the widget, but not while typing (the slider takes its own arrows).
  root.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === ",") goTo(frame - 1, true);
    else if (key === ".") goTo(frame + 1, true);
    else if (key === "p") toggle();
    else if (key === "n") newTrack();
    else if (key === "k") makeKey();
    else if (key === "o") toggleOut();
    else return;
    event.preventDefault();
  });

  // The picture and its boxes (keys bubble from a box up to the SVG).
  area.element.addEventListener("keydown", (event) => {
    const pick = numberKey(event);
    const onBox = event.target.closest(".widget-box") && selected >= 0;
    const step = onBox && arrowStep(event);
    if (pick >= 0 && pick < labels.length) (onBox ? relabel(selected, pick) : pickLabel(pick));
    else if (step) nudge(step, event.shiftKey);
    else if (!onBox && !event.shiftKey && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
      goTo(frame + (event.key === "ArrowLeft" ? -1 : 1), true);
    } else if (!onBox && (event.key === "Home" || event.key === "End")) goTo(event.key === "Home" ? 0 : F - 1, true);
    else if ((event.key === "Delete" || event.key === "Backspace") && onBox) removeKey();
    else if (event.key === "Escape" && selected >= 0) {
      select(-1);
      area.element.focus();
    } else return;
    event.preventDefault();
  });

  function nudge([dx, dy], resize) {
    const b = boxAt(tracks[selected], frame)?.box;
    if (!b) return;
    const next = resize
      ? fit({ ...b, w: clamp(b.w + dx, 1, W - b.x), h: clamp(b.h + dy, 1, H - b.y) })
      : { ...b, x: clamp(b.x + dx, 0, W - b.w), y: clamp(b.y + dy, 0, H - b.h) };
    place(selected, next, resize ? "Resized" : "Moved");
    focusBox(area.layer, selected);
  }

  /** Drop the drag in progress (two fingers took over for a pinch): as if it never began. */
  function cancelDrag() {
    if (!drag) return;
    const { pointer, keysBefore, index, created } = drag;
    drag = null;
    if (area.element.hasPointerCapture(pointer)) area.element.releasePointerCapture(pointer);
    if (created) tracks.pop();
    else if (index >= 0) tracks[index].keys = keysBefore;
    if (created) selected = -1;
    render();
  }

  function cornerAt(p, event) {
    const b = selected >= 0 && boxAt(tracks[selected], frame)?.box;
    return b ? cornerNear(b, p, (event.pointerType === "mouse" ? 8 : 20) * area.unit()) : null;
  }

  // Pointer: mouse, pen and touch alike. The SVG captures the pointer for the whole drag.
  area.element.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || drag) return;
    toggle(false);
    const p = area.point(event);
    const corner = cornerAt(p, event);
    const hit = event.target.closest?.(".widget-box");
    const pick = hit ? Number(hit.dataset.index) : -1;
    const mode = corner ? "resize" : pick >= 0 && pick === selected ? "move" : "draw";
    // Drawing gives the selected track its box here when it is out of view here; else it
    // starts a new track (on release, if the pointer moved).
    const onto = mode === "draw" && selected >= 0 && !boxAt(tracks[selected], frame);
    const index = mode === "draw" && !onto ? -1 : selected;
    const before = index >= 0 ? boxAt(tracks[index], frame)?.box || null : null;
    drag = {
      mode, corner, index, pick, before, origin: p, screen: [event.clientX, event.clientY], moved: false,
      pointer: event.pointerId, keysBefore: index >= 0 ? [...tracks[index].keys] : null, created: false,
    };
    if (index >= 0 && mode !== "draw") focusBox(area.layer, index);
    else area.element.focus({ preventScroll: true });
    area.element.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  area.element.addEventListener("pointermove", (event) => {
    if (!dragging(drag, area.element, event)) return;
    const p = area.point(event);
    const b = drag.before;
    let box;
    if (drag.mode === "draw") {
      const { x, y } = drag.origin;
      box = fit({ x, y, w: p.x - x, h: p.y - y });
      if (drag.index < 0) {
        tracks.push({ id: nextId(), label: labels[label], keys: [] });
        drag.index = selected = tracks.length - 1;
        drag.created = true;
      }
    } else if (drag.mode === "move") {
      box = {
        ...b, x: clamp(b.x + Math.round(p.x - drag.origin.x), 0, W - b.w),
        y: clamp(b.y + Math.round(p.y - drag.origin.y), 0, H - b.h),
      };
    } else box = resized(b, drag.corner, p, W, H);
    tracks[drag.index].keys = drag.keysBefore || [];
    setKey(tracks[drag.index], frame, box);
    drawLayer();
  });

  function endDrag(event, cancelled) {
    if (!drag || !area.element.hasPointerCapture(event.pointerId)) return;
    if (cancelled) return cancelDrag();
    area.element.releasePointerCapture(event.pointerId);
    const { mode, index, pick, moved, created } = drag;
    drag = null;
    if (!moved) return mode === "draw" ? select(pick, true) : render();
    const box = boxAt(tracks[index], frame).box;
    if (created) commit(`Started ${nameOf(index)} at frame ${frame + 1} ${where(box)}`);
    else commit(`${{ draw: "Drew", move: "Moved", resize: "Resized" }[mode]} ${nameOf(index)} ${where(box)} at frame ${frame + 1}`);
    focusBox(area.layer, index);
  }
  area.element.addEventListener("pointerup", (event) => endDrag(event, false));
  area.element.addEventListener("pointercancel", (event) => endDrag(event, true));

  labelKeys(root, area.element, labels, pickLabel);

  tracks = fromAnswer(readAnswer(input));
  drawFrame();
  commit(tracks.length ? `Your last answer: ${tracks.length} track${tracks.length > 1 ? "s" : ""}` : "");
}
