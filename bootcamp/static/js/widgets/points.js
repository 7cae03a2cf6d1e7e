// Points widget: place the named keypoints of one or more persons on an image, drag them, mark
// them not visible (occluded) and remove them. The answer is [{keypoints: {name: [x, y, v]}}]
// with v = 2 visible, 1 placed but not visible; an unplaced keypoint is left out, and so is a
// person with no keypoint placed (graders refuse an empty person).
import {
  announcer, arrowStep, button, clamp, clear, cls, h, keysHelp, placeTags, readAnswer, s, typing,
  writeAnswer,
} from "./common.js";
import { surface, zoomKeys } from "./surface.js";

const MAX_PERSONS = 100;
const KEYS = "N places the chosen keypoint in the middle, Tab goes to each point, arrows move it "
  + "(Ctrl: 10 pixels), O marks it not visible or visible, Delete removes it, "
  + `[ and ] choose the previous or next keypoint; ${zoomKeys()}`;

export function mount(root, { spec, mediaUrl, input }) {
  const { width: W, height: H, keypoints: names } = spec;
  const onImage = (p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1])
    && (p[2] === 1 || p[2] === 2);
  let persons = readAnswer(input).map((person) => Object.fromEntries(names
    .filter((name) => onImage(person?.keypoints?.[name]))
    .map((name) => [name, place(person.keypoints[name], person.keypoints[name][2])])));
  persons = persons.filter((person) => Object.keys(person).length).slice(0, MAX_PERSONS);
  if (!persons.length) persons.push({});
  let person = 0;
  let current = 0;
  let pendingHidden = false;
  let drag = null;

  const people = h("div", { class: "widget-toolbar", role: "group", "aria-label": "Persons" });
  const now = h("p", { class: "widget-now" });
  const hidden = h("input", { type: "checkbox", onchange: () => toggleHidden() });
  const check = h("label", { class: "widget-check" }, hidden, " Mark as not visible (occluded)");
  const help = h("p", { class: "widget-help" },
    "Click or tap the image to place the chosen keypoint (again to move it); drag a point to move it. "
    + "Zoom in with + under the image or two fingers; move around with two fingers or Pan. ",
    keysHelp(`Keys: ${KEYS}.`));
  const area = surface({
    width: W, height: H, mediaUrl, onResize: drawLayer, onGesture: cancelDrag,
    onZoom: (level) => say(`Zoom ${level}×`),
    label: `Image to annotate, ${W} by ${H} pixels. Keys: ${KEYS}.`,
    onImageError: () => say("The image could not be loaded. Reload the page to try again."),
  });
  const heading = h("h3", { class: "widget-list-title" });
  const list = h("ol", { class: "widget-list widget-keypoints" });
  // Only fixed-size content above the image: nothing may shift it under a finger mid-drag.
  root.append(people, help, area.frame, now, check);
  const say = announcer(root);
  root.append(heading, list);

  function place([x, y], v) {
    return [clamp(Math.round(x), 0, W), clamp(Math.round(y), 0, H), v];
  }
  const describe = (p, name) => {
    const [x, y, v] = persons[p][name];
    return `${name} of person ${p + 1} at ${x}, ${y}${v === 1 ? ", not visible" : ""}`;
  };
  const unplaced = (from, p = person) => {
    for (let k = 1; k <= names.length; k++) {
      const index = (from + k) % names.length;
      if (!persons[p][names[index]]) return index;
    }
    return Math.max(from, 0);
  };

  function answer() {
    return persons.filter((p) => Object.keys(p).length)
      .map((p) => ({ keypoints: Object.fromEntries(names.filter((n) => p[n]).map((n) => [n, p[n]])) }));
  }

  function commit(message) {
    writeAnswer(input, answer());
    render();
    if (message) say(message);
  }

  function render() {
    drawLayer();
    clear(people);
    persons.forEach((_, p) => people.append(button(
      h("span", { class: "widget-swatch", "aria-hidden": "true" }),
      { class: `secondary widget-c${p % 8}`, "aria-pressed": String(p === person), onclick: () => choose(p, unplaced(-1, p)) },
      `Person ${p + 1}`,
    )));
    if (persons.length < MAX_PERSONS) people.append(button("Add person", { onclick: addPerson }));
    if (persons.length > 1) people.append(button(`Remove person ${person + 1}`, { onclick: removePerson }));
    const name = names[current];
    const point = persons[person][name];
    now.textContent = `Now placing: ${name} of person ${person + 1}${point ? " (placed: a click moves it)" : ""}`;
    hidden.checked = point ? point[2] === 1 : pendingHidden;
    heading.textContent = `Keypoints of person ${person + 1}`;
    clear(list);
    names.forEach((n, k) => {
      const at = persons[person][n];
      const state = at ? `${at[2] === 1 ? "not visible" : "visible"} at ${at[0]}, ${at[1]}` : "not placed";
      list.append(h("li", { class: k === current ? "is-selected" : null },
        button(`Keypoint: ${n}`, { "aria-pressed": String(k === current), onclick: () => choose(person, k) }),
        h("span", { class: "widget-state", text: state }),
        at ? button("Delete", { "aria-label": `Delete ${n} of person ${person + 1}`, onclick: () => unplace(person, n) }) : null));
    });
  }

  function drawLayer() {
    const focused = document.activeElement?.closest?.(".widget-point");
    const u = area.unit();
    clear(area.layer);
    const tags = [];
    persons.forEach((points, p) => names.forEach((name, k) => {
      const at = points[name];
      if (!at) return;
      const mine = p === person;
      const tag = s("text", {
        class: "widget-tag", x: at[0], y: at[1], "font-size": 13 * u, "stroke-width": 3 * u,
        text: name,
      });
      // Right of the point, above then below; then left of it; then straight above or below.
      const [x, y] = at;
      tags.push({ element: tag, candidates: [
        [x + 10 * u, y - 6 * u], [x + 10 * u, y + 16 * u], [x - 10 * u, y - 6 * u, true],
        [x - 10 * u, y + 16 * u, true], [x - 20 * u, y - 12 * u], [x - 20 * u, y + 26 * u],
      ], of: { x, y, w: 0, h: 0 } });
      area.layer.append(s("g", {
        class: cls("widget-point", `widget-c${p % 8}`, at[2] === 1 && "is-hidden", !mine && "is-other",
          mine && k === current && "is-selected"),
        "data-person": p, "data-name": name, tabindex: 0, role: "button", "aria-label": describe(p, name),
        onfocus: () => choose(p, k, false),
      },
      s("circle", { cx: at[0], cy: at[1], r: (mine && k === current ? 8 : 6) * u, "stroke-width": 2 * u }),
      tag));
    }));
    placeTags(tags, area.view(), 2 * u);
    // The focused point was redrawn: focus its new element (it is the current keypoint).
    if (focused && !area.layer.contains(focused)) {
      (pointElement(person, names[current]) || area.element).focus({ preventScroll: true });
    }
  }

  const pointElement = (p, name) => area.layer.querySelector(
    `[data-person="${p}"][data-name="${CSS.escape(name)}"]`,
  );

  function choose(p, k, focus = true) {
    if (p === person && k === current) return;
    person = p;
    current = k;
    pendingHidden = false;
    render();
    if (focus) say(`Keypoint: ${names[k]} of person ${p + 1}, ${persons[p][names[k]] ? "placed" : "not placed"}`);
  }

  function addPerson() {
    persons.push({});
    person = persons.length - 1;
    current = 0;
    commit(`Added person ${persons.length}`);
  }

  function removePerson() {
    persons.splice(person, 1);
    const gone = person + 1;
    person = Math.min(person, persons.length - 1);
    commit(`Removed person ${gone}`);
  }

  function toggleHidden(flip = false) {
    if (flip) hidden.checked = !hidden.checked;
    const name = names[current];
    const point = persons[person][name];
    if (!point) {
      pendingHidden = hidden.checked;
      return say(`${name} will be placed as ${pendingHidden ? "not visible" : "visible"}`);
    }
    point[2] = hidden.checked ? 1 : 2;
    commit(`${name} of person ${person + 1} marked ${hidden.checked ? "not visible" : "visible"}`);
  }

  function unplace(p, name) {
    const hadFocus = area.layer.contains(document.activeElement);
    delete persons[p][name];
    person = p;
    current = names.indexOf(name);
    commit(`Removed ${name} of person ${p + 1}`);
    if (hadFocus) area.element.focus();
  }

  function put(p, k, xy) {
    const name = names[k];
    const fresh = !persons[p][name];
    persons[p][name] = place(xy, fresh ? (pendingHidden ? 1 : 2) : persons[p][name][2]);
    return fresh;
  }

  function placed(k, fresh, verb) {
    const message = `${fresh ? "Placed" : verb} ${describe(person, names[k])}`;
    if (fresh) {
      current = unplaced(k);
      pendingHidden = false;
    }
    commit(message);
  }

  area.element.addEventListener("keydown", (event) => {
    const step = arrowStep(event);
    const target = event.target.closest(".widget-point");
    const name = target?.dataset.name;
    if (event.key === "n" || event.key === "N" || (event.key === "Enter" && !target)) {
      // The current keypoint, or once it is placed the next one not placed: so N after N
      // moves on through the keypoints, as clicks do. The new point takes the focus, for the
      // arrows to move it.
      const k = persons[person][names[current]] ? unplaced(current) : current;
      if (persons[person][names[k]]) {
        say(`Every keypoint of person ${person + 1} is placed: use the arrows to move one`);
      } else {
        placed(k, put(person, k, [W / 2, H / 2]), "Moved");
        pointElement(person, names[k])?.focus();
        const next = unplaced(k);
        if (!persons[person][names[next]]) {
          say(`Placed ${describe(person, names[k])}. Arrows move it; N places ${names[next]}`);
        }
      }
    } else if (step && target) {
      const [x, y, v] = persons[person][name];
      persons[person][name] = [clamp(x + step[0], 0, W), clamp(y + step[1], 0, H), v];
      commit(describe(person, name));
    } else if ((event.key === "o" || event.key === "O") && target) toggleHidden(true);
    else if ((event.key === "Delete" || event.key === "Backspace") && target) unplace(person, name);
    else if (event.key === "[" || event.key === "]") {
      choose(person, (current + (event.key === "]" ? 1 : names.length - 1)) % names.length);
    } else if (event.key === "Escape" && target) area.element.focus();
    else return;
    event.preventDefault();
  });

  /** Drop the drag in progress (two fingers took over for a pinch): as if it never began. */
  function cancelDrag() {
    if (!drag) return;
    const { k, fresh, before, pointer } = drag;
    drag = null;
    if (area.element.hasPointerCapture(pointer)) area.element.releasePointerCapture(pointer);
    if (fresh) delete persons[person][names[k]];
    else if (before) persons[person][names[k]] = before;
    render();
  }

  area.element.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || drag) return;
    const hit = event.target.closest?.(".widget-point");
    if (hit) choose(Number(hit.dataset.person), names.indexOf(hit.dataset.name), false);
    const before = persons[person][names[current]]?.slice();
    const fresh = hit ? false : put(person, current, Object.values(area.point(event)));
    drag = { k: current, fresh, before, moved: !hit, pointer: event.pointerId };
    if (!hit) drawLayer();
    pointElement(person, names[current])?.focus({ preventScroll: true });
    area.element.setPointerCapture(event.pointerId);
    event.preventDefault();
  });
  area.element.addEventListener("pointermove", (event) => {
    if (!drag || !area.element.hasPointerCapture(event.pointerId)) return;
    put(person, drag.k, Object.values(area.point(event)));
    drag.moved = true;
    drawLayer();
  });
  const end = (event) => {
    if (!drag || !area.element.hasPointerCapture(event.pointerId)) return;
    area.element.releasePointerCapture(event.pointerId);
    const { k, fresh, moved } = drag;
    drag = null;
    if (moved) placed(k, fresh, "Moved");
  };
  area.element.addEventListener("pointerup", end);
  area.element.addEventListener("pointercancel", end);

  root.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || area.element.contains(event.target) || typing(event)) return;
    if (event.key === "[" || event.key === "]") {
      event.preventDefault();
      choose(person, (current + (event.key === "]" ? 1 : names.length - 1)) % names.length);
    }
  });

  person = 0;
  current = unplaced(-1);
  commit(persons.length > 1 || Object.keys(persons[0]).length ? "Your last answer is shown" : "");
}
