// Spans widget: select characters of a text (mouse, finger or keyboard) and label them. The
// answer is [{start, end, label}] with offsets in Unicode code points (Python str indices), end
// exclusive: the DOM counts UTF-16 units, so every offset is converted ("👋" is 1 point, 2 units).
import {
  announcer, button, clamp, clear, cls, h, keysHelp, numberKey, readAnswer, toolbar, typing,
  writeAnswer,
} from "./common.js";

const WORD = /[\p{L}\p{N}\p{M}_]/u;
const SPACE = /\s/u;
const EXCERPT = 60; // code points shown per span in the list

export function mount(root, { spec, input }) {
  const { text, labels } = spec;
  const chars = Array.from(text);
  const n = chars.length;
  const units = new Array(n + 1).fill(0); // units[i]: UTF-16 offset of code point i
  chars.forEach((c, i) => {
    units[i + 1] = units[i] + c.length;
  });
  const valid = (sp) => sp && labels.includes(sp.label) && Number.isInteger(sp.start)
    && Number.isInteger(sp.end) && sp.start >= 0 && sp.start < sp.end && sp.end <= n;
  let spans = sort(readAnswer(input).filter(valid).map(({ start, end, label }) => ({ start, end, label })));
  let pending = null; // {start, end}: the last selection made in the text, in code points
  let caret = 0; // the keyboard caret when the selection is not in the text

  const picker = toolbar({ label: "Labels", names: labels, prefix: "Label", toggle: false, onPick: apply });
  const help = h("p", { class: "widget-help" },
    "Select words in the text with the mouse or a finger, then press a label (or its number key). ",
    keysHelp("Keys: in the text, Shift+arrows select (Ctrl: a word at a time), Home and End "
      + "jump to the start and end, number keys label the selection, Escape clears it."));
  const chosen = h("p", { class: "widget-now", text: "Nothing selected yet." });
  const textEl = h("div", {
    class: "widget-text", tabindex: 0, role: "textbox", "aria-readonly": "true", "aria-multiline": "true",
    "aria-label": "Text to label. Shift+arrows select, number keys label the selection.",
  });
  const heading = h("h3", { class: "widget-list-title" });
  const list = h("ol", { class: "widget-list" });
  root.append(picker.element, help, textEl, chosen); // below the text: no layout shift mid-drag
  const say = announcer(root);
  root.append(heading, list);

  function sort(items) {
    const rank = (sp) => labels.indexOf(sp.label);
    return items.sort((a, b) => a.start - b.start || a.end - b.end || rank(a) - rank(b));
  }
  const slice = (start, end) => chars.slice(start, end).join("");
  const excerpt = ({ start, end }) => (end - start > EXCERPT
    ? `${slice(start, start + EXCERPT - 1)}…`
    : slice(start, end));
  const describe = (sp) => `${sp.label}: “${excerpt(sp)}” (characters ${sp.start} to ${sp.end})`;

  /** The code point at a UTF-16 offset; an offset inside a surrogate pair rounds down or up. */
  function point(unit, up) {
    let low = 0;
    let high = n;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (units[mid] <= unit) low = mid;
      else high = mid - 1;
    }
    return up && units[low] < unit ? low + 1 : low;
  }

  /** The UTF-16 offset in the text of a DOM boundary point; points outside clamp to the ends. */
  function unitOffset(node, offset) {
    const range = document.createRange();
    range.selectNodeContents(textEl);
    const where = range.comparePoint(node, offset);
    if (where) return where < 0 ? 0 : text.length;
    range.setEnd(node, offset);
    return range.toString().length;
  }

  /** A DOM boundary point for a UTF-16 offset in the text. */
  function domPoint(unit) {
    const walker = document.createTreeWalker(textEl, NodeFilter.SHOW_TEXT);
    let seen = 0;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (unit <= seen + node.length) return [node, unit - seen];
      seen += node.length;
    }
    return [textEl, textEl.childNodes.length];
  }

  /** The document selection as code points {anchor, focus}, or null when it is not in the text. */
  function selection() {
    const sel = document.getSelection();
    if (!sel?.rangeCount || !sel.getRangeAt(0).intersectsNode(textEl)) return null;
    const anchor = unitOffset(sel.anchorNode, sel.anchorOffset);
    const focus = unitOffset(sel.focusNode, sel.focusOffset);
    const forward = anchor <= focus;
    return { anchor: point(anchor, !forward), focus: point(focus, forward) };
  }

  function trimmed({ anchor, focus }) {
    let start = Math.min(anchor, focus);
    let end = Math.max(anchor, focus);
    while (start < end && SPACE.test(chars[start])) start++;
    while (end > start && SPACE.test(chars[end - 1])) end--;
    return start < end ? { start, end } : null;
  }

  function showPending() {
    chosen.textContent = pending
      ? `Selected: “${excerpt(pending)}” (characters ${pending.start} to ${pending.end})`
      : "Nothing selected yet.";
  }

  document.addEventListener("selectionchange", () => {
    const now = selection();
    if (!now) return; // the selection left the text (e.g. a tap on a label): keep the last one
    caret = now.focus;
    pending = trimmed(now);
    showPending();
  });

  function apply(index) {
    const label = labels[index];
    const live = selection(); // selectionchange may not have run yet
    if (live) pending = trimmed(live);
    if (!pending) return say(`Select some text first, then choose its label (${label}).`);
    const span = { ...pending, label };
    if (spans.some((sp) => sp.start === span.start && sp.end === span.end && sp.label === label)) {
      return say(`That text is already labelled ${label}.`);
    }
    spans = sort([...spans, span]);
    pending = null;
    document.getSelection()?.removeAllRanges();
    caret = span.end;
    commit(`Added ${label} span ${spans.indexOf(span) + 1}: “${excerpt(span)}”`);
  }

  function remove(i) {
    const [gone] = spans.splice(i, 1);
    commit(`Deleted ${gone.label} span ${i + 1}: “${excerpt(gone)}”`);
    (list.querySelectorAll("li button")[Math.min(i, spans.length - 1)] || textEl).focus();
  }

  function commit(message) {
    writeAnswer(input, spans);
    render();
    showPending();
    if (message) say(message);
  }

  function render() {
    const cuts = [...new Set([0, n, ...spans.flatMap((sp) => [sp.start, sp.end])])].sort((a, b) => a - b);
    clear(textEl);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i], cuts[i + 1]];
      const piece = text.slice(units[a], units[b]);
      const over = spans.filter((sp) => sp.start <= a && sp.end >= b);
      if (!over.length) {
        textEl.append(piece);
        continue;
      }
      const ending = over.filter((sp) => sp.end === b).map((sp) => sp.label).join(", ");
      textEl.append(h("mark", {
        class: cls("widget-mark", `widget-c${labels.indexOf(over[0].label) % 8}`, over.length > 1 && "is-nested"),
        "data-label": ending || null,
      }, piece));
    }
    heading.textContent = spans.length ? `Your spans (${spans.length})` : "No spans yet";
    clear(list);
    spans.forEach((sp, i) => list.append(h("li", {},
      h("span", { class: `widget-swatch widget-c${labels.indexOf(sp.label) % 8}`, "aria-hidden": "true" }),
      h("span", { text: describe(sp) }),
      button("Delete", { "aria-label": `Delete ${sp.label} span ${i + 1}`, onclick: () => remove(i) }))));
  }

  function jump(from, dir) {
    let i = from;
    const word = (k) => WORD.test(chars[k]);
    if (dir > 0) {
      while (i < n && !word(i)) i++;
      while (i < n && word(i)) i++;
    } else {
      while (i > 0 && !word(i - 1)) i--;
      while (i > 0 && word(i - 1)) i--;
    }
    return i;
  }

  // Keyboard selection in the text: a caret that arrows move and Shift+arrows extend.
  textEl.addEventListener("keydown", (event) => {
    const dirs = { ArrowLeft: -1, ArrowRight: 1, Home: -1, End: 1 };
    if (event.key === "Escape") {
      document.getSelection()?.removeAllRanges();
      pending = null;
      showPending();
      return say("Selection cleared");
    }
    const dir = dirs[event.key];
    if (!dir) return;
    event.preventDefault();
    const now = selection() || { anchor: caret, focus: caret };
    let focus;
    if (event.key === "Home" || event.key === "End") focus = dir < 0 ? 0 : n;
    else if (event.ctrlKey || event.altKey || event.metaKey) focus = jump(now.focus, dir);
    else focus = clamp(now.focus + dir, 0, n);
    const anchor = event.shiftKey ? now.anchor : focus;
    caret = focus;
    document.getSelection().setBaseAndExtent(...domPoint(units[anchor]), ...domPoint(units[focus]));
    const picked = trimmed({ anchor, focus });
    const next = focus < n ? `, before “${chars[focus]}”` : "";
    say(picked ? `Selected “${excerpt(picked)}”` : `At character ${focus} of ${n}${next}`);
  });

  root.addEventListener("keydown", (event) => {
    const pick = numberKey(event);
    if (event.defaultPrevented || pick < 0 || pick >= labels.length || typing(event)) return;
    event.preventDefault();
    apply(pick);
  });
  document.addEventListener("keydown", (event) => {
    const pick = numberKey(event);
    if (event.target !== document.body || pick < 0 || pick >= labels.length || !selection()) return;
    event.preventDefault();
    apply(pick);
  });

  commit(spans.length ? `Your last answer: ${spans.length} span${spans.length > 1 ? "s" : ""}` : "");
}
