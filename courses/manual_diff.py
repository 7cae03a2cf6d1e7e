"""Compare two versions of a manual section by section, with word-level diffs for people.

Pure logic: no Flask, no database. Sections are matched by their stable ids; the order that
stayed is the longest common subsequence of the two id orders, and everything else that is in
both versions moved. Word diffs are written for trainees, not programmers: neighbouring changed
words are grouped into one deletion and one insertion so a sentence reads naturally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape

from courses.rendering import IMAGE_END, IMAGE_START, RenderedManual, Section

STATUSES = ("added", "removed", "changed", "moved", "unchanged")
_IMAGE = f"{IMAGE_START}[^{IMAGE_END}]*{IMAGE_END}"
_TOKEN = re.compile(_IMAGE + r"|\s+|\w+(?:['’]\w+)*|[^\w\s]")  # an image is one token
_IMAGE_TOKEN = re.compile(_IMAGE)
_PARAGRAPH = "\n\n"


@dataclass(frozen=True)
class SectionChange:
    """What happened to one section between two versions."""

    id: str
    status: str
    old: Section | None
    new: Section | None
    moved: bool
    title_changed: bool
    inline_diff_html: str


@dataclass(frozen=True)
class ManualDiff:
    """All section changes, in the new version's order with removed sections where they were."""

    changes: list[SectionChange]

    def counts(self) -> dict[str, int]:
        """How many sections have each status (every status present, zero included)."""
        counts = dict.fromkeys(STATUSES, 0)
        for change in self.changes:
            counts[change.status] += 1
        return counts

    @property
    def summary(self) -> str:
        """The changes in one phrase, the same wherever a reader meets them ("1 section
        changed, 2 added and 1 removed"): the banner and the changes page must agree."""
        counts = self.counts()
        parts = [f"{counts[s]} {s}" for s in ("changed", "added", "moved", "removed") if counts[s]]
        if not parts:
            return "No section changed"
        number, status = parts[0].split(" ")
        parts[0] = f"{number} section{'' if number == '1' else 's'} {status}"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    @property
    def changed_ids(self) -> set[str]:
        """Ids a reader should look at again: added, changed or moved sections."""
        return {c.id for c in self.changes if c.status in ("added", "changed", "moved")}


class _PrefixMax:
    """Fenwick tree answering "best (score, index) among positions below p" in O(log n)."""

    def __init__(self, size: int) -> None:
        self.tree = [(0, -1)] * (size + 1)

    def below(self, position: int) -> tuple[int, int]:
        best, i = (0, -1), position
        while i > 0:
            best, i = max(best, self.tree[i]), i - (i & -i)
        return best

    def offer(self, position: int, entry: tuple[int, int]) -> None:
        i = position + 1
        while i < len(self.tree):
            self.tree[i], i = max(self.tree[i], entry), i + (i & -i)


def _stable_ids(old_order: list[str], new_order: list[str], edited: set[str]) -> set[str]:
    """Ids of a longest common subsequence of both orders; ids are unique, so this is a longest
    increasing subsequence. Among equally long ones, keep unedited sections in place, so that
    a section that was both moved and edited is the one reported as moved."""
    position = {sid: n for n, sid in enumerate(old_order)}
    common = [sid for sid in new_order if sid in position]
    length_weight = len(common) + 1  # one more section in place outweighs any tie-breaker
    tree, previous, best = _PrefixMax(len(old_order)), [-1] * len(common), (0, -1)
    for n, sid in enumerate(common):
        score, previous[n] = tree.below(position[sid])
        entry = (score + length_weight + (sid not in edited), n)
        tree.offer(position[sid], entry)
        best = max(best, entry)
    stable, n = set(), best[1]
    while n >= 0:
        stable.add(common[n])
        n = previous[n]
    return stable


def _normal(text: str) -> str:
    return " ".join(text.split())


def _edited(old: Section, new: Section) -> bool:
    return _normal(old.title) != _normal(new.title) or _normal(old.text) != _normal(new.text)


def _compare(old: Section, new: Section, moved: bool) -> SectionChange:
    title_changed = _normal(old.title) != _normal(new.title)
    if not _edited(old, new):
        status = "moved" if moved else "unchanged"
        return SectionChange(new.id, status, old, new, moved, False, "")
    diff = word_diff_html(old.text, new.text)
    if title_changed:
        diff = f'<p class="diff-title">{_diff_paragraphs(old.title, new.title)[0]}</p>' + diff
    return SectionChange(new.id, "changed", old, new, moved, title_changed, diff)


def diff_manuals(old: RenderedManual, new: RenderedManual) -> ManualDiff:
    """Match sections by id and classify each as added, removed, changed, moved or unchanged."""
    old_by_id = {s.id: s for s in old.sections}
    new_ids = {s.id for s in new.sections}
    edited = {s.id for s in new.sections if s.id in old_by_id and _edited(old_by_id[s.id], s)}
    stable = _stable_ids([s.id for s in old.sections], [s.id for s in new.sections], edited)
    removed_after: dict[str | None, list[SectionChange]] = {}
    anchor: str | None = None
    for section in old.sections:
        if section.id in stable:
            anchor = section.id
        elif section.id not in new_ids:
            change = SectionChange(section.id, "removed", section, None, False, False, "")
            removed_after.setdefault(anchor, []).append(change)
    changes = list(removed_after.get(None, []))
    for section in new.sections:
        previous = old_by_id.get(section.id)
        if previous is None:
            changes.append(SectionChange(section.id, "added", None, section, False, False, ""))
        else:
            changes.append(_compare(previous, section, section.id not in stable))
        changes.extend(removed_after.get(section.id, []))
    return ManualDiff(changes)


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n[^\S\n]*\n\s*", text) if p.strip()]


def _tokens(text: str) -> list[str]:
    """Words, single punctuation marks, whitespace runs; a blank line is a paragraph break."""
    return [_PARAGRAPH if t.count("\n") > 1 else t for t in _TOKEN.findall(text)]


def _is_space(token: str) -> bool:
    return token.isspace()


def _runs(old: list[str], new: list[str]) -> list[tuple[str, list[str], list[str]]]:
    """Equal and changed runs; changes separated only by spaces are merged into one."""
    # Spaces are junk: they may extend a match but never anchor one (fast, and reads better).
    matcher = SequenceMatcher(_is_space, old, new, autojunk=False)
    runs: list[tuple[str, list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = old[i1:i2], new[j1:j2]
        if tag != "equal" and len(runs) >= 2 and runs[-2][0] == "change" and _is_gap(runs[-1]):
            _, gap, _ = runs.pop()
            _, old_run, new_run = runs.pop()
            a, b = old_run + gap + a, new_run + gap + b
        runs.append(("equal", a, b) if tag == "equal" else ("change", a, b))
    return runs


def _is_gap(run: tuple[str, list[str], list[str]]) -> bool:
    """Unchanged spaces between two changes: merged, so the change reads as one phrase."""
    op, tokens, _ = run
    return op == "equal" and all(t.isspace() and t != _PARAGRAPH for t in tokens)


def _html(text: str) -> str:
    return _IMAGE_TOKEN.sub(_image_html, escape(text, quote=False).replace("\n", "<br>"))


def _image_html(match: re.Match[str]) -> str:
    """An image's alt text, marked as the image it stands for (already escaped)."""
    alt = match.group()[1:-1]
    return f'<span class="diff-image">[image: {alt or "no description"}]</span>'



def _word_diff_block(old_text: str, new_text: str) -> list[str]:
    """Word diff of a run of paragraphs, one HTML string per paragraph."""
    paragraphs: list[str] = [""]
    for op, old_run, new_run in _runs(_tokens(old_text), _tokens(new_text)):
        pieces = [("", old_run)] if op == "equal" else [("del", old_run), ("ins", new_run)]
        for tag, run in pieces:
            for n, chunk in enumerate(_split_paragraphs(run)):
                if n:
                    paragraphs.append("")
                if chunk.strip():
                    paragraphs[-1] += f"<{tag}>{_html(chunk)}</{tag}>" if tag else _html(chunk)
    return [p.strip() for p in paragraphs if p.strip()]


def _split_paragraphs(tokens: list[str]) -> list[str]:
    chunks = [""]
    for token in tokens:
        if token == _PARAGRAPH:
            chunks.append("")
        else:
            chunks[-1] += token
    return chunks


def _diff_paragraphs(old_text: str, new_text: str) -> list[str]:
    """Unchanged paragraphs are kept whole; only the runs that differ are diffed word by word."""
    old, new = _paragraphs(old_text), _paragraphs(new_text)
    html: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            html.extend(_html(p) for p in old[i1:i2])
        else:
            html.extend(_word_diff_block("\n\n".join(old[i1:i2]), "\n\n".join(new[j1:j2])))
    return html


def word_diff_html(old_text: str, new_text: str) -> str:
    """Word-level diff of two plain texts as safe HTML: <p> paragraphs with <del>/<ins>."""
    return "".join(f"<p>{p}</p>" for p in _diff_paragraphs(old_text, new_text))
