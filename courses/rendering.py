"""Render instruction manuals from Markdown into sanitised HTML, sections and plain text.

Pure logic: no Flask, no database. Manuals are written by instructors and imported from
bundles, so everything they write is treated as untrusted: Markdown is rendered with raw HTML
enabled (for harmless tags such as <kbd> or <details>) and the result is always sanitised with
an explicit allowlist. Attributes the renderer itself emits (heading ids, call-out classes and
labels) are tagged with a per-render secret nonce so that authors cannot forge them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from html import unescape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin

MediaUrl = Callable[[str], str]
MAX_MANUAL_BYTES = 1024 * 1024  # of UTF-8; the longest real manual we know of is about 60 KB
# Besides its size, what a manual may hold at most: each bounds a cost of rendering that grows
# faster than the text does (bench/manual_limits.py: the worst 1 MB renders in about a second).
STRUCTURE_LIMITS = (
    (re.compile(r"\n"), 10_000, "lines"),
    (re.compile(r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|=+[ \t]*$|-+[ \t]*$)", re.M), 1_000,
     "headings"),
    (re.compile(r"\|"), 10_000, "table cell borders (|)"),
    (re.compile(r"[*_~]"), 10_000, "emphasis marks (*, _ and ~)"),
    (re.compile(r"[\[\]]"), 10_000, "brackets ([ and ], as in links and images)"),
    (re.compile(r"[<>]"), 10_000, "angle brackets (< and >, as in HTML and quotes)"),
    (re.compile(r":::"), 1_000, "call-out fences (:::)"),
)


@dataclass(frozen=True)
class Section:
    """One top-level section of a manual, from its heading to the next heading."""

    id: str
    title: str
    level: int
    line: int
    markdown: str
    text: str
    html: str


@dataclass(frozen=True)
class RenderedManual:
    """A whole manual: its HTML and its sections in document order."""

    html: str
    sections: list[Section]


ALLOWED_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "a", "img"}
    | {"table", "thead", "tbody", "tr", "th", "td", "code", "pre", "blockquote"}
    | {"em", "strong", "del", "s", "ins", "kbd", "sup", "sub", "br", "hr"}
    | {"details", "summary", "figure", "figcaption", "aside", "div", "span"}
)
# Tags whose content is dropped too: their text is code or markup, never prose.
CLEAN_CONTENT_TAGS = frozenset(
    {"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"}
    | {"textarea", "select", "title", "xmp", "noembed", "noframes", "frameset"}
)
# Only the renderer may set these; their values must carry the per-render nonce.
RENDERER_ATTRIBUTES = frozenset({"id", "class", "role"})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{f"h{n}": {"id"} for n in range(1, 7)},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "scope"},
    "td": {"align"},
    "ol": {"start"},
    "details": {"open"},
    "p": {"class"},
    "div": {"class", "role"},
    "span": {"class"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
CALLOUTS = {"do": ("rule-do", "Do"), "note": ("rule-note", "Note")}
CALLOUTS |= dict.fromkeys(("dont", "don't"), ("rule-dont", "Don't"))
_CALLOUT = "callout"
_EXPLICIT_ID = re.compile(r"\s*\{#([a-z0-9][a-z0-9-]*)\}\s*$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")
_URL_NOISE = re.compile(r"[\x00-\x20\x7f]+")
_HIDDEN_HTML = re.compile(r"<!--.*?-->|<(script|style|template|svg|math)\b.*?</\1\s*>", re.I | re.S)
_HTML_TAG = re.compile(r"<[^>]*>")
# An image's alt text in a section's plain text sits between these private-use marks, so a diff
# can set it apart from the words around it; digests and readers see the bare words.
IMAGE_START, IMAGE_END = "\ue000", "\ue001"
_IMAGE_MARKS = str.maketrans("", "", IMAGE_START + IMAGE_END)


def slugify(title: str) -> str:
    """Turn a heading into a stable ascii anchor id; "section" when nothing is left."""
    folded = unicodedata.normalize("NFKD", title.replace("ß", "ss"))
    ascii_title = folded.encode("ascii", "ignore").decode().lower()
    ascii_title = re.sub(r"['’]", "", ascii_title)
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")
    return slug[:80].rstrip("-") or "section"


def _callout_name(params: str) -> str:
    words = params.strip().split()
    return words[0].lower() if words else ""


def _render_callout(self: Any, tokens: Sequence[Token], idx: int, _opts: Any, env: Any) -> str:
    """Known call-outs become notes with a visible label; unknown names render plainly."""
    token = tokens[idx]
    callout = CALLOUTS.get(_callout_name(token.info))
    if callout is None:
        return ""
    if token.nesting != 1:
        return "</div>\n"
    css, label = callout
    nonce = env["nonce"]
    return (
        f'<div class="{nonce}:rule {css}" role="{nonce}:note">\n'
        f'<p class="{nonce}:rule-label">{label}</p>\n'
    )


def _render_heading(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Manual headings sit one level below the page's own <h1>: "#" renders as <h2>."""
    token = tokens[idx]
    source_tag = token.tag
    token.tag = f"h{min(6, int(source_tag[1]) + 1)}"
    try:
        return self.renderToken(tokens, idx, options, env)
    finally:
        token.tag = source_tag


def _tidy_tokens(state: Any) -> None:
    """Close call-outs with their own name; use align= not inline styles; scope header cells."""
    open_callouts: list[Token] = []
    for token in state.tokens:
        if token.type == f"container_{_CALLOUT}_open":
            open_callouts.append(token)
        elif token.type == f"container_{_CALLOUT}_close":
            token.info = open_callouts.pop().info
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrSet("align", style.removeprefix("text-align:"))
            if token.type == "th_open":
                token.attrSet("scope", "col")


class _Parser(MarkdownIt):
    """MarkdownIt that always parses a source ending in a newline.

    mdit-py-plugins' container rule reads past the end of a source whose last line is an empty
    quoted line ("> :::do x\n> "); a final newline avoids that without changing the document.
    """

    def parse(self, src: str, env: Any = None) -> list[Token]:
        return super().parse(src if src.endswith("\n") else src + "\n", env)


def build_parser(*, accept_all_links: bool = False) -> MarkdownIt:
    """The manual dialect: CommonMark + tables + strikethrough + call-outs, raw HTML on."""
    md = _Parser("commonmark", {"html": True}).enable(["table", "strikethrough"])
    container_plugin(
        md,
        _CALLOUT,
        validate=lambda params, *_: bool(_callout_name(params)),
        render=_render_callout,
    )
    md.core.ruler.push("tidy_tokens", _tidy_tokens)
    md.add_render_rule("heading_open", _render_heading)
    md.add_render_rule("heading_close", _render_heading)
    if accept_all_links:
        # The scanner must see javascript: links that the renderer would refuse to link.
        md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_MD = build_parser()


def clean_url(value: str) -> str:
    """A URL as a browser reads its scheme: without whitespace or control characters."""
    return _URL_NOISE.sub("", value).lower()


def _is_relative(url: str) -> bool:
    cleaned = clean_url(url)
    return bool(cleaned) and cleaned[0] not in "/#?" and not _SCHEME.match(cleaned)


def _attribute_filter(nonce: str, media_url: MediaUrl | None) -> Callable[[str, str, str], Any]:
    """Keep renderer attributes only when they carry the nonce; route media through media_url."""
    prefix = nonce + ":"

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in RENDERER_ATTRIBUTES:
            return value.removeprefix(prefix) if value.startswith(prefix) else None
        if attribute in ("href", "src") and clean_url(value).startswith(DANGEROUS_SCHEMES):
            return None
        if media_url and (tag, attribute) in (("a", "href"), ("img", "src")):
            return media_url(value) if _is_relative(value) else value
        return value

    return keep


def _sanitiser(nonce: str, media_url: MediaUrl | None) -> Callable[[str], str]:
    cleaner = nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CLEAN_CONTENT_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter(nonce, media_url),
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
    return cleaner.clean


def _inline_text(children: Sequence[Token] | None) -> str:
    """Readable text of inline tokens: markup and raw HTML tags removed."""
    parts: list[str] = []
    for child in children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content.translate(_IMAGE_MARKS))
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            alt = " ".join(_inline_text(child.children).split())
            parts.append(IMAGE_START + alt + IMAGE_END)
    return "".join(parts)


def _html_text(html: str) -> str:
    """Prose of a raw HTML block, for diffs and search; never used as HTML, so a regex will do."""
    html = _HIDDEN_HTML.sub(" ", html)
    return " ".join(unescape(_HTML_TAG.sub(" ", html)).split())


def _plain_text(tokens: Sequence[Token]) -> str:
    """Section body as plain text: one paragraph per block, table rows as "a | b" lines."""
    chunks: list[str] = []
    prefix = ""
    row: list[str] | None = None
    for token in tokens:
        text = ""
        if token.type == f"container_{_CALLOUT}_open":
            callout = CALLOUTS.get(_callout_name(token.info))
            prefix = f"{callout[1]}: " if callout else ""
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            text, row = " | ".join(row), None
        elif token.type == "inline" and row is not None:
            row.append(_inline_text(token.children).strip())
        elif token.type == "inline":
            text = _inline_text(token.children)
        elif token.type in ("fence", "code_block"):
            text = token.content.rstrip("\n")
        elif token.type == "html_block":
            text = _html_text(token.content)
        if text.strip():
            chunks.append(prefix + text.strip())
            prefix = ""
    return "\n\n".join(chunks)


def _take_heading(inline: Token) -> tuple[str, str | None]:
    """Title of a heading and its explicit {#id}, removed from the tokens so it is not shown."""
    children = inline.children or []
    explicit = None
    if children and children[-1].type == "text":
        match = _EXPLICIT_ID.search(children[-1].content)
        if match:
            explicit = match.group(1)
            children[-1].content = children[-1].content[: match.start()]
    return " ".join(_inline_text(children).split()), explicit


class _Ids:
    """Unique anchor ids in document order: "x", else "x-2", "x-3"... skipping ids in use.

    Ids are only ever added, so the suffix to try next can be remembered per base: n identical
    headings take linear time, and each id is the one counting up from "-2" would give.
    """

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.next_suffix: dict[str, int] = {}

    def claim(self, base: str) -> str:
        candidate = base
        if candidate in self.used:
            n = self.next_suffix.get(base, 2)
            while (candidate := f"{base}-{n}") in self.used:
                n += 1
            self.next_suffix[base] = n + 1
        self.used.add(candidate)
        return candidate


def _source_of(lines: list[str], start: int, end: int) -> str:
    chunk = lines[start:end]
    while chunk and not chunk[-1].strip():
        chunk.pop()
    return "\n".join(chunk)


@dataclass
class _Document:
    """What a single parse gives: tokens, source lines and the sanitiser for this render."""

    tokens: list[Token]
    lines: list[str]
    env: dict[str, Any]
    clean: Callable[[str], str]

    def html(self, start: int, end: int) -> str:
        return self.clean(_MD.renderer.render(self.tokens[start:end], _MD.options, self.env))


def _parse(markdown: str, media_url: MediaUrl | None) -> _Document:
    source = markdown.replace("\r\n", "\n").replace("\r", "\n")
    nonce = secrets.token_hex(12)
    env: dict[str, Any] = {"nonce": nonce}
    tokens = _MD.parse(source, env)
    return _Document(tokens, source.split("\n"), env, _sanitiser(nonce, media_url))


def _introduction(doc: _Document, end: int, end_line: int, ids: _Ids) -> Section | None:
    """Text before the first heading, as a section of its own when there is any."""
    body = [n for n, line in enumerate(doc.lines[:end_line]) if line.strip()]
    if not body:
        return None
    tokens = doc.tokens[:end]
    markdown = _source_of(doc.lines, body[0], end_line)
    sid = ids.claim("introduction")
    html, text = doc.html(0, end), _plain_text(tokens)
    return Section(sid, "Introduction", 1, body[0] + 1, markdown, text, html)


def _heading_section(doc: _Document, start: int, end: int, ids: _Ids) -> Section:
    """The section from the heading at tokens[start] up to tokens[end]; sets its anchor id."""
    heading = doc.tokens[start]
    title, explicit = _take_heading(doc.tokens[start + 1])
    sid = ids.claim(explicit or slugify(title))
    heading.attrSet("id", f"{doc.env['nonce']}:{sid}")
    line = _line_of(doc, start)
    return Section(
        id=sid,
        title=title,
        level=int(heading.tag[1]),
        line=line + 1,
        markdown=_source_of(doc.lines, line, _line_of(doc, end)),
        text=_plain_text(doc.tokens[start + 3 : end]),
        html=doc.html(start, end),
    )


def _line_of(doc: _Document, index: int) -> int:
    """0-based source line where the block token at index starts (end of document past it)."""
    token_map = doc.tokens[index].map if index < len(doc.tokens) else None
    return token_map[0] if token_map else len(doc.lines)


def render_manual(markdown: str, media_url: MediaUrl | None = None) -> RenderedManual:
    """Render a manual once, splitting it into sections at top-level headings."""
    doc = _parse(markdown, media_url)
    starts = [i for i, t in enumerate(doc.tokens) if t.type == "heading_open" and t.level == 0]
    first = starts[0] if starts else len(doc.tokens)
    ids = _Ids()
    intro = _introduction(doc, first, _line_of(doc, first), ids)
    sections = [intro] if intro else []
    for start, end in zip(starts, [*starts[1:], len(doc.tokens)], strict=False):
        sections.append(_heading_section(doc, start, end, ids))
    return RenderedManual("".join(s.html for s in sections), sections)


# A published version never changes, so it is rendered once and kept (courses.models.
# ManualRendering) with its media links under this mark; a page puts its course's media URL there.
KEPT_MEDIA_MARK = "/kept-manual-media/"
# Raise it with any change to the HTML this module makes (a sanitiser fix above all): a kept
# rendering stamped with an older number is rendered again the next time a page shows it.
RENDERER_VERSION = 1


def render_to_keep(markdown: str) -> RenderedManual:
    """Render a manual to keep: like render_manual, with media links under KEPT_MEDIA_MARK."""
    return render_manual(markdown, lambda path: KEPT_MEDIA_MARK + path.removeprefix("media/")
                         if path.startswith("media/") else path)


def kept_sections(manual: RenderedManual) -> list[dict[str, Any]]:
    """The sections of a manual from render_to_keep, as JSON to store."""
    return [asdict(section) for section in manual.sections]


def kept_manual(sections: list[dict[str, Any]], media_prefix: str) -> RenderedManual:
    """The manual kept_sections stored, its media links under `media_prefix`."""
    mark = f'="{KEPT_MEDIA_MARK}'
    rebuilt = [Section(**{**fields, "html": fields["html"].replace(mark, f'="{media_prefix}')})
               for fields in sections]
    return RenderedManual("".join(section.html for section in rebuilt), rebuilt)


def section_digest(section: Section) -> str:
    """A fingerprint of what a trainee reads in a section: its title and its text."""
    text = section.text.translate(_IMAGE_MARKS)
    return hashlib.sha256(json.dumps([section.title, text]).encode()).hexdigest()


def manual_outline(manual: RenderedManual) -> list[dict[str, str]]:
    """Id, title and digest of every section: what progress needs, kept so as not to render."""
    return [{"id": s.id, "title": s.title, "digest": section_digest(s)} for s in manual.sections]


def size_problem(text: str, limit: int = MAX_MANUAL_BYTES) -> str | None:
    """Why text is over `limit` bytes of UTF-8 ("is 1.4 MB ...; the limit is 1 MB ..."), or None."""
    return too_large(len(text.encode("utf-8", "surrogatepass")), limit)


def limit_problems(markdown: str) -> list[str]:
    """Why a manual is too large to render quickly, in sentences for its author."""
    size = size_problem(markdown)
    if size:
        return [f"The manual {size}."]
    return [f"Line {line}: {message}." for line, message in structure_problems(markdown)]


def structure_problems(markdown: str) -> list[tuple[int, str]]:
    """What a manual has too much of to render quickly, as (1-based line, message).

    Counted on the source with regular expressions (in code blocks too), so that checking
    costs far less than rendering; bench/manual_limits.py measures what each limit bounds.
    """
    problems = []
    for pattern, limit, what in STRUCTURE_LIMITS:
        over = next(itertools.islice(pattern.finditer(markdown), limit, None), None)
        if over is not None:
            line = markdown.count("\n", 0, over.start()) + 1
            problems.append((line, f"a manual may have at most {limit:,} {what}, and this "
                                   "line goes past that"))
    return problems


def too_large(size: int, limit: int = MAX_MANUAL_BYTES) -> str | None:
    """The words for a size in bytes over `limit`, or None when it fits."""
    if size <= limit:
        return None
    return (f"is {size / 2**20:.1f} MB ({size:,} bytes); "
            f"the limit is {limit / 2**20:g} MB ({limit:,} bytes)")


def render_markdown(markdown: str, media_url: MediaUrl | None = None) -> str:
    """Sanitised HTML for short texts (changelogs, descriptions, explanations)."""
    doc = _parse(markdown, media_url)
    return doc.html(0, len(doc.tokens))


def inline_children_with_lines(inline: Token) -> Iterator[tuple[Token, int]]:
    """Each child of a paragraph with the 1-based source line it starts on.

    Scanners that point authors at a line (unsafe HTML, missing media) share this walk, so
    they agree on lines even after multi-line code spans and raw HTML.
    """
    source, cursor = inline.content, 0
    first_line = inline.map[0] + 1 if inline.map else 1
    for child in inline.children or ():
        start = cursor
        if child.type == "html_inline":
            at = source.find(child.content, cursor)
            start, cursor = (at, at + len(child.content)) if at >= 0 else (cursor, cursor)
        elif child.type == "code_inline":  # its content is normalised, so skip past its fences
            opening = source.find(child.markup, cursor)
            closing = source.find(child.markup, opening + len(child.markup))
            cursor = closing + len(child.markup) if min(opening, closing) >= 0 else cursor
        elif child.type in ("softbreak", "hardbreak"):
            cursor = source.find("\n", cursor) + 1 or cursor
        yield child, first_line + source.count("\n", 0, start)
