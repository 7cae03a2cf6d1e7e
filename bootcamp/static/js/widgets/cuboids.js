// Cuboids widget: draw labelled 3D boxes around objects in a lidar point cloud, seen from above.
// The answer is [{label, x, y, z, l, w, h, yaw}]: the centre and the size in metres (l along
// the heading, w across, h up) and the heading in radians counter-clockwise from +x.
//
// The cloud comes packed from the item's media URL with ?packed (courses/pointclouds.py pack);
// it is drawn from above on a canvas, coloured by height, and shown as the surface's image
// (surface.js: zoom and pan), with +x (the lidar's forward) to the right and +y up. Zoomed in,
// the part in view is drawn again at the screen's resolution. Drag on it to draw a box; its
// height is fitted to the points inside; the side view and the number fields set the rest.
import {
  announcer, button, clamp, clear, h, keysHelp, labelKeys, listEntry, numberKey, placeTags, readAnswer,
  s, toolbar, writeAnswer,
} from "./common.js";
import { surface, zoomKeys } from "./surface.js";

const S = 10; // surface units a metre
const MIN_DRAG = 4; // screen pixels: a shorter drag is a click, not a box
const MIN_SIDE = 0.1; // metres
const MAX_SIDE = 50;
const BLANK = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
const IMAGE_SIDE = 2048; // pixels of the whole cloud's picture
// Height colours, low to high: the road a light blue that stands out on the dark ground,
// then teal, green, yellow and orange for what stands on it.
const RAMP = [[96, 130, 220], [40, 190, 180], [120, 215, 80], [250, 220, 50], [255, 120, 60]];
const GRID = 5; // metres between grid lines
const KEYS = "number keys pick the label for new cuboids, N adds one in the middle of the view, "
  + "Tab goes to each cuboid, arrows move it (Ctrl: 1 metre), Shift+arrows change its length "
  + "and width, [ and ] turn it by 5° (Shift: 1°), R turns it by 90°, Page Up and Page Down "
  + "raise and lower it, F fits its height to the points inside, number keys change its label, "
  + "Delete removes it, Escape lets go of it";
const CORNERS = [[1, 1], [-1, 1], [-1, -1], [1, -1]]; // front left, back left, back right, front right

const round2 = (value) => Math.round(value * 100) / 100;
const degrees = (yaw) => Math.round((yaw * 180) / Math.PI);
/** A heading in (-pi, pi], rounded so the answer stays short. */
function normal(yaw) {
  let turned = yaw % (2 * Math.PI);
  if (turned > Math.PI) turned -= 2 * Math.PI;
  if (turned <= -Math.PI) turned += 2 * Math.PI;
  return Math.round(turned * 10000) / 10000;
}

/** The points of a packed cloud: x, y, z in metres and intensity 0..1. */
function unpack(buffer) {
  const view = new DataView(buffer);
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4));
  if (magic !== "BCPC" || view.getUint32(4, true) !== 1) throw new Error("not a packed point cloud");
  const n = view.getUint32(8, true);
  const corner = [0, 1, 2].map((i) => view.getFloat32(12 + 4 * i, true));
  const step = [0, 1, 2].map((i) => view.getFloat32(24 + 4 * i, true));
  const axes = [0, 1, 2].map((i) => new Uint16Array(buffer, 36 + 2 * n * i, n));
  const xyz = [0, 1, 2].map((i) => Float32Array.from(axes[i], (q) => corner[i] + step[i] * q));
  return { n, x: xyz[0], y: xyz[1], z: xyz[2] };
}

export function mount(root, { spec, mediaUrl, input }) {
  const { labels } = spec;
  const [x0, x1] = spec.range.x;
  const [y0, y1] = spec.range.y;
  const [z0, z1] = spec.range.z;
  const W = (x1 - x0) * S;
  const H = (y1 - y0) * S;
  const keys = `${KEYS}; ${zoomKeys(labels.length < 10)}`;
  const valid = (c) => c && labels.includes(c.label)
    && ["x", "y", "z", "l", "w", "h", "yaw"].every((k) => Number.isFinite(c[k]))
    && c.l > 0 && c.w > 0 && c.h > 0;
  let cuboids = readAnswer(input).filter(valid).map((c) => fit(c));
  let selected = -1;
  let label = 0;
  let drag = null;
  let cloud = null;
  let lowZ = z0;
  let highZ = z1;

  const picker = toolbar({
    label: "Label for new cuboids", names: labels, prefix: "Label", onPick: pickLabel,
  });
  const help = h("p", { class: "widget-help" },
    "The point cloud is seen from above, coloured by height (the road blue, higher points green, "
    + "yellow and orange), with a grid every 5 metres; the lidar is the orange triangle and looks "
    + "to the right. Drag around an object to draw a cuboid with the chosen label: its "
    + "height is fitted to the points inside. Drag the round handle to turn it so that its "
    + "front line points where the object faces; drag a corner to resize it. Set its ground "
    + "level and height below the picture. ",
    keysHelp(`Keys: ${keys}.`));
  const area = surface({
    width: W, height: H, mediaUrl: BLANK, onResize: () => { drawLayer(); detailLater(); },
    onGesture: cancelDrag, onZoom: (level) => say(`Zoom ${level}×`),
    label: `Point cloud seen from above, ${x1 - x0} by ${y1 - y0} metres, forward to the right. `
      + `Keys: ${keys}.`,
  });
  // The part in view, drawn again sharper when zoomed in (above the whole cloud's picture).
  const detail = s("image", { class: "widget-detail", preserveAspectRatio: "none", width: 0, height: 0 });
  area.image.after(detail);
  const panel = editor();
  const heading = h("h3", { class: "widget-list-title" });
  const list = h("ol", { class: "widget-list" });
  root.append(picker.element, help, area.frame, panel.element);
  const say = announcer(root);
  root.append(heading, list);

  // --- Geometry: metres <-> surface units (u right, v down). ---
  const toU = (x) => (x - x0) * S;
  const toV = (y) => (y1 - y) * S;
  const toMetres = (p) => ({ x: x0 + p.x / S, y: y1 - p.y / S });
  function corners(c, extra = 0) {
    const cos = Math.cos(c.yaw);
    const sin = Math.sin(c.yaw);
    return CORNERS.map(([a, b]) => {
      const along = a * (c.l / 2 + extra);
      const across = b * (c.w / 2 + extra);
      return { x: c.x + along * cos - across * sin, y: c.y + along * sin + across * cos };
    });
  }
  /** A point in the cuboid's own frame: along its heading and across it. */
  function local(c, p) {
    const dx = p.x - c.x;
    const dy = p.y - c.y;
    return { a: dx * Math.cos(c.yaw) + dy * Math.sin(c.yaw), b: -dx * Math.sin(c.yaw) + dy * Math.cos(c.yaw) };
  }

  /** A cuboid with its centre in the cloud's range, sizes within bounds, rounded. */
  function fit(c, name = c.label) {
    return {
      label: name,
      x: round2(clamp(c.x, x0, x1)), y: round2(clamp(c.y, y0, y1)), z: round2(clamp(c.z, z0, z1)),
      l: round2(clamp(c.l, MIN_SIDE, MAX_SIDE)), w: round2(clamp(c.w, MIN_SIDE, MAX_SIDE)),
      h: round2(clamp(c.h, MIN_SIDE, MAX_SIDE)), yaw: normal(c.yaw),
    };
  }
  const describe = (c, i) => `${c.label} cuboid ${i + 1}: ${c.l} by ${c.w} by ${c.h} metres at `
    + `${c.x}, ${c.y}, facing ${degrees(c.yaw)}°`;

  /** The lowest and highest point inside a footprint (null when fewer than 3 points). */
  function heightsInside(c) {
    if (!cloud) return null;
    let low = Infinity;
    let high = -Infinity;
    let count = 0;
    const cos = Math.cos(c.yaw);
    const sin = Math.sin(c.yaw);
    for (let i = 0; i < cloud.n; i++) {
      const dx = cloud.x[i] - c.x;
      const dy = cloud.y[i] - c.y;
      if (Math.abs(dx * cos + dy * sin) > c.l / 2 || Math.abs(-dx * sin + dy * cos) > c.w / 2) continue;
      count++;
      low = Math.min(low, cloud.z[i]);
      high = Math.max(high, cloud.z[i]);
    }
    return count >= 3 ? { low, high } : null;
  }
  /** The cuboid with its bottom on the lowest point inside and its top on the highest. */
  function fitHeight(c) {
    const found = heightsInside(c);
    if (!found) return c;
    const top = Math.max(found.high, found.low + MIN_SIDE);
    return fit({ ...c, z: (found.low + top) / 2, h: top - found.low });
  }

  // --- The cloud, drawn from above. ---
  function colour(z) {
    const t = clamp((z - lowZ) / (highZ - lowZ || 1), 0, 1) * (RAMP.length - 1);
    const i = Math.min(Math.floor(t), RAMP.length - 2);
    const f = t - i;
    return RAMP[i].map((v, k) => Math.round(v + (RAMP[i + 1][k] - v) * f));
  }
  /** A picture of the points inside `view` (surface units), `pixels` wide. */
  function picture(view, pixels, done) {
    const scale = pixels / view.w;
    const canvas = h("canvas", { width: Math.round(view.w * scale), height: Math.round(view.h * scale) });
    const context = canvas.getContext("2d");
    const image = context.createImageData(canvas.width, canvas.height);
    const data = image.data;
    const size = Math.max(2, Math.round(scale * S * 0.08));
    const order = cloud.order;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const u = Math.floor((toU(cloud.x[i]) - view.x) * scale);
      const v = Math.floor((toV(cloud.y[i]) - view.y) * scale);
      if (u < 0 || v < 0 || u >= canvas.width || v >= canvas.height) continue;
      const [r, g, b] = cloud.colours[i];
      for (let dv = 0; dv < size && v + dv < canvas.height; dv++) {
        for (let du = 0; du < size && u + du < canvas.width; du++) {
          const at = ((v + dv) * canvas.width + u + du) * 4;
          data[at] = r;
          data[at + 1] = g;
          data[at + 2] = b;
          data[at + 3] = 255;
        }
      }
    }
    context.putImageData(image, 0, 0);
    marks(context, view, scale);
    canvas.toBlob((blob) => blob && done(URL.createObjectURL(blob)));
  }
  /** A faint grid every GRID metres and the lidar, a triangle pointing forward. */
  function marks(context, view, scale) {
    const at = (x, y) => [(toU(x) - view.x) * scale, (toV(y) - view.y) * scale];
    context.strokeStyle = "rgba(255, 255, 255, 0.12)";
    context.lineWidth = 1;
    context.beginPath();
    for (let x = Math.ceil(x0 / GRID) * GRID; x <= x1; x += GRID) {
      context.moveTo(at(x, y0)[0], 0);
      context.lineTo(at(x, y0)[0], context.canvas.height);
    }
    for (let y = Math.ceil(y0 / GRID) * GRID; y <= y1; y += GRID) {
      context.moveTo(0, at(x0, y)[1]);
      context.lineTo(context.canvas.width, at(x0, y)[1]);
    }
    context.stroke();
    const size = Math.max(6, 0.8 * S * scale);
    const [u, v] = at(0, 0);
    context.fillStyle = "#f0a500";
    context.beginPath();
    context.moveTo(u + size, v);
    context.lineTo(u - size / 2, v - size * 0.6);
    context.lineTo(u - size / 2, v + size * 0.6);
    context.fill();
  }
  function show(element, url, view) {
    const old = element.getAttribute("href");
    element.setAttribute("href", url);
    for (const [key, value] of Object.entries({ x: view.x, y: view.y, width: view.w, height: view.h })) {
      element.setAttribute(key, value);
    }
    if (old && old.startsWith("blob:")) URL.revokeObjectURL(old);
  }
  let detailTimer = 0;
  function detailLater() {
    clearTimeout(detailTimer);
    if (!cloud) return;
    const view = area.view();
    if (view.z <= 1.5) {
      detail.setAttribute("width", 0);
      return;
    }
    detailTimer = setTimeout(() => {
      const pixels = Math.min(IMAGE_SIDE, area.element.clientWidth * (window.devicePixelRatio || 1));
      const wanted = area.view();
      picture(wanted, pixels, (url) => show(detail, url, wanted));
    }, 150);
  }
  async function load() {
    say("Loading the point cloud…");
    const url = `${mediaUrl}${mediaUrl.includes("?") ? "&" : "?"}packed`;
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`the point cloud could not be loaded (${response.status})`);
    const points = unpack(await response.arrayBuffer());
    const heights = Float32Array.from(points.z).sort();
    if (points.n) {
      lowZ = heights[Math.floor(points.n * 0.02)];
      highZ = heights[Math.floor(points.n * 0.98)];
    }
    points.colours = Array.from(points.z, colour);
    points.order = Uint32Array.from(points.z.keys()).sort((a, b) => points.z[a] - points.z[b]);
    cloud = points;
    const whole = { x: 0, y: 0, w: W, h: H };
    picture(whole, Math.min(IMAGE_SIDE, Math.max(W, H) * 2) * (W >= H ? 1 : W / H), (href) => {
      show(area.image, href, whole);
      detailLater();
    });
    say(`Point cloud loaded: ${points.n.toLocaleString()} points.`);
    render();
  }

  // --- The answer, the list and the drawing. ---
  function commit(message) {
    writeAnswer(input, cuboids);
    render();
    if (message) say(message);
  }

  function render() {
    drawLayer();
    panel.sync();
    heading.textContent = cuboids.length ? `Your cuboids (${cuboids.length})` : "No cuboids yet";
    clear(list);
    cuboids.forEach((c, i) => list.append(listEntry({
      text: describe(c, i), name: `${c.label} cuboid ${i + 1}`, label: c.label, labels,
      selected: i === selected, onSelect: () => select(i, true),
      onRelabel: (index) => relabel(i, index), onDelete: () => remove(i),
    })));
  }

  function drawLayer() {
    const refocus = area.layer.contains(document.activeElement);
    const u = area.unit();
    clear(area.layer);
    const tags = [];
    cuboids.forEach((c, i) => {
      const outline = corners(c).map((p) => `${toU(p.x)},${toV(p.y)}`).join(" ");
      const reach = c.l / 2 + (i === selected ? 24 * u / S : 0);
      const front = { x: c.x + reach * Math.cos(c.yaw), y: c.y + reach * Math.sin(c.yaw) };
      const us = corners(c).map((p) => toU(p.x));
      const vs = corners(c).map((p) => toV(p.y));
      const of = { x: Math.min(...us), y: Math.min(...vs), w: Math.max(...us) - Math.min(...us), h: Math.max(...vs) - Math.min(...vs) };
      const tag = s("text", {
        class: "widget-tag", x: of.x, y: of.y, "font-size": 14 * u, "stroke-width": 3 * u,
        text: `${i + 1} ${c.label}`,
      });
      tags.push({ element: tag, of, candidates: [
        [of.x, of.y - 5 * u], [of.x, of.y + of.h + 16 * u], [of.x + of.w, of.y - 5 * u, true],
        [of.x + of.w, of.y + of.h + 16 * u, true]] });
      const group = s("g", {
        class: `widget-box widget-cuboid widget-c${labels.indexOf(c.label) % 8}${i === selected ? " is-selected" : ""}`,
        "data-index": i, tabindex: 0, role: "button", "aria-label": describe(c, i),
      },
      s("polygon", { class: "widget-frame", points: outline }),
      s("line", { class: "widget-heading", x1: toU(c.x), y1: toV(c.y), x2: toU(front.x), y2: toV(front.y) }),
      tag);
      if (i === selected) {
        corners(c).forEach((p, k) => group.append(s("rect", {
          class: "widget-handle", "data-corner": k, width: 10 * u, height: 10 * u,
          x: toU(p.x) - 5 * u, y: toV(p.y) - 5 * u,
        })));
        group.append(s("circle", {
          class: "widget-handle widget-turn", cx: toU(front.x), cy: toV(front.y), r: 7 * u,
        }));
      }
      group.addEventListener("focus", () => select(i, false));
      area.layer.append(group);
    });
    placeTags(tags, area.view(), 2 * u);
    if (refocus && selected >= 0) focusCuboid(selected);
  }

  const cuboidElement = (i) => area.layer.querySelector(`[data-index="${i}"]`);
  function focusCuboid(i) {
    cuboidElement(i)?.focus({ preventScroll: true });
  }
  function select(i, focus) {
    if (i !== selected) {
      selected = i;
      render();
    }
    if (focus && i >= 0) focusCuboid(i);
  }
  function pickLabel(index) {
    label = index;
    picker.select(index);
    say(`Label for new cuboids: ${labels[index]}`);
  }
  function relabel(i, index) {
    cuboids[i] = { ...cuboids[i], label: labels[index] };
    commit(`Relabelled cuboid ${i + 1} as ${labels[index]}`);
  }
  function add(c) {
    cuboids.push(c);
    selected = cuboids.length - 1;
    commit(`Added ${describe(c, selected)}${heightsInside(c) ? ", its height fitted to the points inside" : ""}`);
  }
  function remove(i) {
    const [gone] = cuboids.splice(i, 1);
    const hadFocus = area.layer.contains(document.activeElement);
    selected = cuboids.length ? Math.min(i, cuboids.length - 1) : -1;
    commit(`Deleted ${gone.label} cuboid ${i + 1}`);
    if (hadFocus) (selected >= 0 ? focusCuboid(selected) : area.element.focus());
  }
  function change(i, changes, message) {
    cuboids[i] = fit({ ...cuboids[i], ...changes });
    commit(`${message}: ${describe(cuboids[i], i)}`);
  }
  const turn = (i, by) => change(i, { yaw: cuboids[i].yaw + (by * Math.PI) / 180 }, `Turned ${by > 0 ? "left" : "right"} by ${Math.abs(by)}°`);

  /** The selected cuboid's fields and its side view; built once, so that typing keeps focus. */
  function editor() {
    const element = h("fieldset", { class: "widget-cuboid-editor", hidden: true });
    const legend = h("legend", {});
    const fields = [
      ["x", "Centre forward (m)", 1], ["y", "Centre left (m)", 1], ["l", "Length (m)", 1],
      ["w", "Width (m)", 1], ["yaw", "Heading (° to the left)", Math.PI / 180],
      ["bottom", "Ground level: bottom (m)", 1], ["h", "Height (m)", 1],
    ].map(([key, text, unit]) => {
      const field = h("input", {
        type: "number", step: "any", inputmode: "decimal",
        onchange: (event) => typed(key, Number(event.target.value) * unit),
        // Enter sets the value; it must not send the form (the answer is not finished).
        onkeydown: (event) => {
          if (event.key !== "Enter") return;
          event.preventDefault();
          typed(key, Number(event.target.value) * unit);
        },
      });
      return { key, unit, field, row: h("label", { class: "widget-number" }, text, field) };
    });
    const side = h("canvas", {
      class: "widget-side", width: 320, height: 140, role: "img",
      "aria-label": "Side view of the selected cuboid: the points inside its footprint, from the side",
    });
    const fitButton = button("Fit height to the points", {
      onclick: () => {
        if (selected < 0) return;
        const before = cuboids[selected];
        cuboids[selected] = fitHeight(before);
        commit(cuboids[selected] === before ? "No points inside to fit to"
          : `Fitted the height: ${describe(cuboids[selected], selected)}`);
      },
    });
    const turnButton = button("Turn 90°", { onclick: () => selected >= 0 && turn(selected, 90) });
    element.append(legend, h("div", { class: "widget-numbers" }, ...fields.map((f) => f.row)),
      h("div", { class: "widget-side-row" }, side,
        h("div", { class: "widget-toolbar" }, fitButton, turnButton)));
    /** A typed value (on Enter, and again on leaving the field: then only if it differs). */
    function typed(key, value) {
      if (selected < 0 || !Number.isFinite(value)) return;
      const c = cuboids[selected];
      const changes = key === "bottom" ? { z: value + c.h / 2 }
        : key === "h" ? { h: value, z: c.z - c.h / 2 + value / 2 } : { [key]: value };
      const next = fit({ ...c, ...changes });
      if (Object.keys(next).some((k) => next[k] !== c[k])) change(selected, changes, "Changed");
    }
    function sync() {
      element.hidden = selected < 0;
      if (selected < 0) return;
      const c = cuboids[selected];
      legend.textContent = `Cuboid ${selected + 1}: ${c.label}`;
      const values = { ...c, bottom: round2(c.z - c.h / 2) };
      for (const { key, unit, field } of fields) {
        const value = key === "yaw" ? degrees(c.yaw) : round2(values[key] / unit);
        if (document.activeElement !== field || Number(field.value) !== value) field.value = value;
      }
      drawSide(c);
    }
    /** The points near the footprint from the side (along the heading, then up), with the box. */
    function drawSide(c) {
      const context = side.getContext("2d");
      context.fillStyle = "#10151c";
      context.fillRect(0, 0, side.width, side.height);
      const spanA = c.l + 2;
      const bottom = c.z - c.h / 2;
      const spanZ = Math.max(c.h + 1.5, 2.5);
      const scale = Math.min(side.width / spanA, side.height / spanZ);
      const ox = side.width / 2;
      const oy = side.height - (side.height - spanZ * scale) / 2 - 0.5 * scale;
      if (cloud) {
        for (let i = 0; i < cloud.n; i++) {
          const p = local(c, { x: cloud.x[i], y: cloud.y[i] });
          if (Math.abs(p.a) > spanA / 2 || Math.abs(p.b) > c.w / 2 + 0.3) continue;
          const [r, g, b] = cloud.colours[i];
          context.fillStyle = `rgb(${r},${g},${b})`;
          context.fillRect(ox + p.a * scale - 1, oy - (cloud.z[i] - bottom) * scale - 1, 2, 2);
        }
      }
      context.strokeStyle = "#ffffff";
      context.lineWidth = 2;
      context.strokeRect(ox - (c.l / 2) * scale, oy - c.h * scale, c.l * scale, c.h * scale);
      side.setAttribute("aria-label", `Side view of cuboid ${selected + 1}: bottom at `
        + `${round2(bottom)} m, top at ${round2(bottom + c.h)} m, points inside its footprint shown`);
    }
    return { element, sync };
  }

  // --- Keyboard: the surface and every cuboid take the keys (they bubble up to the SVG). ---
  area.element.addEventListener("keydown", (event) => {
    const pick = numberKey(event);
    const onCuboid = event.target.closest(".widget-box") && selected >= 0;
    const step = event.ctrlKey || event.metaKey ? 1 : 0.1;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const c = cuboids[selected];
    if (pick >= 0 && pick < labels.length) (onCuboid ? relabel(selected, pick) : pickLabel(pick));
    else if (event.key === "n" || event.key === "N") {
      const view = area.view();
      const middle = toMetres({ x: view.x + view.w / 2, y: view.y + view.h / 2 });
      add(fitHeight(fit({ ...middle, z: z0 + 1, l: 4, w: 2, h: 1.5, yaw: 0 }, labels[label])));
      focusCuboid(selected);
    } else if (!c) return;
    else if (moves[event.key] && event.shiftKey) {
      const [dl, dw] = moves[event.key];
      change(selected, { l: c.l + dl, w: c.w + dw }, "Resized");
    } else if (moves[event.key]) {
      const [dx, dy] = moves[event.key];
      change(selected, { x: c.x + dx, y: c.y + dy }, "Moved");
    } else if (event.key === "[" || event.key === "{") turn(selected, event.shiftKey ? 1 : 5);
    else if (event.key === "]" || event.key === "}") turn(selected, event.shiftKey ? -1 : -5);
    else if (event.key === "r" || event.key === "R") turn(selected, 90);
    else if (event.key === "PageUp") change(selected, { z: c.z + 0.1 }, "Raised");
    else if (event.key === "PageDown") change(selected, { z: c.z - 0.1 }, "Lowered");
    else if (event.key === "f" || event.key === "F") {
      cuboids[selected] = fitHeight(c);
      commit(`Fitted the height: ${describe(cuboids[selected], selected)}`);
    } else if (event.key === "Delete" || event.key === "Backspace") remove(selected);
    else if (event.key === "Escape") {
      select(-1);
      area.element.focus();
    } else return;
    event.preventDefault();
  });

  /** Drop the drag in progress (two fingers took over for a pinch): as if it never began. */
  function cancelDrag() {
    if (!drag) return;
    const { mode, index, before, moved, pointer } = drag;
    drag = null;
    if (area.element.hasPointerCapture(pointer)) area.element.releasePointerCapture(pointer);
    if (moved && mode === "draw") cuboids.splice(index, 1);
    else if (moved) cuboids[index] = before;
    if (moved) selected = -1;
    render();
  }

  // --- Pointer: mouse, pen and touch alike. The SVG captures the pointer for the whole drag. ---
  area.element.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || drag) return;
    const p = toMetres(area.point(event, false));
    const handle = event.target.closest?.(".widget-handle");
    const hit = event.target.closest?.(".widget-box");
    const pick = hit ? Number(hit.dataset.index) : -1;
    let mode = "draw";
    if (handle && pick === selected) mode = handle.classList.contains("widget-turn") ? "turn" : "resize";
    else if (pick >= 0 && pick === selected) mode = "move";
    const index = mode === "draw" ? -1 : selected;
    drag = {
      mode, index, pick, corner: handle ? Number(handle.dataset.corner) : -1, origin: p,
      before: index >= 0 ? { ...cuboids[index] } : null, screen: [event.clientX, event.clientY],
      moved: false, pointer: event.pointerId,
    };
    if (index >= 0) focusCuboid(index);
    else area.element.focus({ preventScroll: true });
    area.element.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  area.element.addEventListener("pointermove", (event) => {
    if (!drag || !area.element.hasPointerCapture(event.pointerId)) return;
    const far = Math.hypot(event.clientX - drag.screen[0], event.clientY - drag.screen[1]) >= MIN_DRAG;
    if (!drag.moved && !far) return;
    drag.moved = true;
    const p = toMetres(area.point(event, false));
    const b = drag.before;
    if (drag.mode === "draw") {
      if (drag.index < 0) {
        cuboids.push(null);
        drag.index = selected = cuboids.length - 1;
      }
      const o = drag.origin;
      cuboids[drag.index] = fit({
        x: (o.x + p.x) / 2, y: (o.y + p.y) / 2, z: z0 + 1, l: Math.abs(p.x - o.x),
        w: Math.abs(p.y - o.y), h: 1.5, yaw: 0,
      }, labels[label]);
    } else if (drag.mode === "move") {
      cuboids[drag.index] = fit({ ...b, x: b.x + p.x - drag.origin.x, y: b.y + p.y - drag.origin.y });
    } else if (drag.mode === "turn") {
      cuboids[drag.index] = fit({ ...b, yaw: Math.atan2(p.y - b.y, p.x - b.x) });
    } else {
      const [sa, sb] = CORNERS[drag.corner];
      const fixed = corners(b)[(drag.corner + 2) % 4];
      const d = local({ ...b, x: fixed.x, y: fixed.y }, p);
      const l = clamp(sa * d.a, MIN_SIDE, MAX_SIDE);
      const w = clamp(sb * d.b, MIN_SIDE, MAX_SIDE);
      const cos = Math.cos(b.yaw);
      const sin = Math.sin(b.yaw);
      const a = (sa * l) / 2;
      const c = (sb * w) / 2;
      cuboids[drag.index] = fit({ ...b, l, w, x: fixed.x + a * cos - c * sin, y: fixed.y + a * sin + c * cos });
    }
    drawLayer();
  });

  function endDrag(event, cancelled) {
    if (!drag || !area.element.hasPointerCapture(event.pointerId)) return;
    area.element.releasePointerCapture(event.pointerId);
    const { mode, index, pick, before, moved } = drag;
    drag = null;
    if (cancelled && moved) {
      if (mode === "draw") cuboids.splice(index, 1);
      else cuboids[index] = before;
      selected = -1;
      return commit("Drawing cancelled");
    }
    if (!moved) return mode === "draw" ? select(pick, true) : render();
    if (mode === "draw") {
      const drawn = cuboids.splice(index, 1)[0];
      add(fitHeight(drawn));
    } else {
      const done = { move: "Moved", turn: "Turned", resize: "Resized" }[mode];
      commit(`${done} ${describe(cuboids[index], index)}`);
    }
    focusCuboid(selected);
  }
  area.element.addEventListener("pointerup", (event) => endDrag(event, false));
  area.element.addEventListener("pointercancel", (event) => endDrag(event, true));

  labelKeys(root, area.element, labels, pickLabel);

  commit(cuboids.length ? `Your last answer: ${cuboids.length} cuboid${cuboids.length > 1 ? "s" : ""}` : "");
  load().catch((error) => say(`${error.message}. Reload the page to try again.`));
}
