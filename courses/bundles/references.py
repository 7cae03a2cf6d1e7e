"""Find the media files a manual's Markdown points at, with the line of each reference.

Uses the manual dialect of courses.rendering, so that what is checked here is exactly what
will be rendered: a reference inside a code span or fence is text, not a reference. Links are
all accepted by the parser (even javascript:), since only their targets are looked at.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

from markdown_it.token import Token

from courses.rendering import build_parser, inline_children_with_lines

_MEDIA_ATTRIBUTES = frozenset({"src", "href", "poster"})
_PARSER = build_parser(accept_all_links=True)


class _HtmlReferences(HTMLParser):
    """Collects (line, value) of src/href/poster attributes in raw HTML."""

    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.first_line + self.getpos()[0] - 1
        self.found += [(line, v) for k, v in attrs if k in _MEDIA_ATTRIBUTES and v]


def _html_references(html: str, first_line: int) -> list[tuple[int, str]]:
    parser = _HtmlReferences(first_line)
    parser.feed(html)
    parser.close()
    return parser.found


def _inline_references(inline: Token) -> list[tuple[int, str]]:
    """Link, image and raw HTML targets of a paragraph, at their source lines."""
    found: list[tuple[int, str]] = []
    for child, line in inline_children_with_lines(inline):
        if child.type == "html_inline":
            found += _html_references(child.content, line)
        elif child.type in ("link_open", "image"):
            found.append((line, str(child.attrGet("href") or child.attrGet("src") or "")))
    return found


def media_references(markdown: str) -> list[tuple[int, str]]:
    """(line, target) of every link, image and HTML src/href that points into media/.

    Targets lose their ?query and #fragment and are percent-decoded, so they name files.
    """
    found: list[tuple[int, str]] = []
    for token in _PARSER.parse(markdown):
        if token.type == "html_block" and token.map:
            found += _html_references(token.content, token.map[0] + 1)
        elif token.type == "inline":
            found += _inline_references(token)
    targets = [(line, unquote(re.split(r"[?#]", raw, maxsplit=1)[0])) for line, raw in found]
    return [(line, target) for line, target in targets if _points_into_media(target)]


def _points_into_media(target: str) -> bool:
    """Also true for /media/... and media\\...: those are reported as bad paths, not skipped."""
    return target.lstrip("/").replace("\\", "/").startswith("media/")
