"""Finding unsafe HTML and URLs in Markdown, with their source lines.

Rendering always sanitises; this check exists so that imports and publishing can refuse
dangerous content outright and tell the author exactly where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from markdown_it.token import Token

from courses.rendering import (
    DANGEROUS_SCHEMES,
    build_parser,
    clean_url,
    inline_children_with_lines,
)


@dataclass(frozen=True)
class UnsafeContent:
    """A dangerous payload found in Markdown source, with its 1-based line."""

    line: int
    message: str


DANGEROUS_ELEMENTS = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "input", "button", "link"}
    | {"meta", "base", "svg", "math", "template", "frame", "frameset", "applet"}
    # Raw-text elements: browsers and parsers disagree on where they end, hiding markup.
    | {"noscript", "noembed", "noframes", "xmp", "plaintext", "textarea", "title"}
)
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "cite"}
    | {"data", "srcset", "lowsrc", "dynsrc", "longdesc", "codebase", "manifest", "ping"}
)
_SCANNER = build_parser(accept_all_links=True)


def _url_problem(url: str) -> str | None:
    if not clean_url(url).startswith(DANGEROUS_SCHEMES):
        return None
    url = url.strip()
    shown = url if len(url) <= 80 else url[:77] + "..."
    return f'unsafe URL "{shown}": only http, https, mailto and relative links are allowed'


class _UnsafeHtmlScanner(HTMLParser):
    """Finds dangerous elements, attributes and URLs in a fragment of raw HTML."""

    def __init__(self, first_line: int) -> None:
        super().__init__(convert_charrefs=True)
        self.first_line = first_line
        self.found: list[UnsafeContent] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.first_line + self.getpos()[0] - 1
        if tag in DANGEROUS_ELEMENTS:
            self.found.append(UnsafeContent(line, f"unsafe HTML: <{tag}> element is not allowed"))
        raw = (self.get_starttag_text() or "").lower()
        for name, value in attrs:
            message = None
            if name.startswith("on"):
                message = f'unsafe HTML: event handler attribute "{name}" is not allowed'
            elif name == "style":
                message = 'unsafe HTML: "style" attribute is not allowed'
            elif name in URL_ATTRIBUTES and value:
                message = _url_problem(value)
            if message:  # a tag may span lines: point at the attribute's own line
                at = max(0, raw.find(name, len(tag) + 1))
                self.found.append(UnsafeContent(line + raw.count("\n", 0, at), message))

    def handle_comment(self, data: str) -> None:
        """Browsers end "<!-->", "<!--->" and "--!>" comments early: scan what follows."""
        if data.startswith((">", "->")):
            self._scan_rest(data, data.find(">") + 1)
        elif "--!>" in data:
            self._scan_rest(data, data.find("--!>") + 4)

    def unknown_decl(self, data: str) -> None:
        """Outside SVG/MathML a browser ends "<![CDATA[" at the first ">": scan what follows."""
        self._scan_rest(data, data.find(">") + 1 if ">" in data else -1)

    def _scan_rest(self, data: str, start: int) -> None:
        if start > 0:
            line = self.first_line + self.getpos()[0] - 1 + data.count("\n", 0, start)
            self.found.extend(_scan_html(data[start:], line))


def _scan_html(html: str, first_line: int) -> list[UnsafeContent]:
    scanner = _UnsafeHtmlScanner(first_line)
    scanner.feed(html)
    scanner.close()
    return scanner.found


def _scan_inline(inline: Token) -> list[UnsafeContent]:
    """Scan raw HTML and link targets of a paragraph, at their source lines."""
    found: list[UnsafeContent] = []
    for child, line in inline_children_with_lines(inline):
        if child.type == "html_inline":
            found.extend(_scan_html(child.content, line))
        elif child.type in ("link_open", "image"):
            problem = _url_problem(str(child.attrGet("href") or child.attrGet("src") or ""))
            if problem:
                found.append(UnsafeContent(line, problem))
    return found


def find_unsafe_html(markdown: str) -> list[UnsafeContent]:
    """List dangerous raw HTML and URLs with their source lines, to refuse imported bundles."""
    source = markdown.replace("\r\n", "\n").replace("\r", "\n")
    found: list[UnsafeContent] = []
    for token in _SCANNER.parse(source):
        if token.type == "html_block" and token.map:
            found.extend(_scan_html(token.content, token.map[0] + 1))
        elif token.type == "inline":
            found.extend(_scan_inline(token))
    return list(dict.fromkeys(found))
