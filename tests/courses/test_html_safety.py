"""find_unsafe_html: dangerous payloads are reported at their line; code and safe HTML are not."""

from __future__ import annotations

import pytest

from courses.html_safety import UnsafeContent, find_unsafe_html


def lines_of(markdown: str) -> list[tuple[int, str]]:
    return [(found.line, found.message) for found in find_unsafe_html(markdown)]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("<script>alert(1)</script>", "unsafe HTML: <script> element is not allowed"),
        ("<img src=x onerror=alert(1)>", 'unsafe HTML: event handler attribute "onerror" is'),
        ("<svg onload=alert(1)>", "unsafe HTML: <svg> element is not allowed"),
        ('<a href="javascript:alert(1)">x</a>', 'unsafe URL "javascript:alert(1)"'),
        ('<a href="&#106;avascript:alert(1)">x</a>', 'unsafe URL "javascript:alert(1)"'),
        ("[x](javascript:alert(1))", 'unsafe URL "javascript:alert(1)": only http, https, m'),
        ("[x](JaVaScRiPt:alert(1))", 'unsafe URL "JaVaScRiPt:alert(1)"'),
        ("[x](vbscript:msgbox(1))", 'unsafe URL "vbscript:msgbox(1)"'),
        ("![x](data:image/png;base64,iVBORw0KGgo=)", 'unsafe URL "data:image/png;base64'),
        ("<javascript:alert(1)>", 'unsafe URL "javascript:alert(1)"'),
        ('<iframe srcdoc="x"></iframe>', "unsafe HTML: <iframe> element is not allowed"),
        ("<math><mtext><table><mglyph><style>", "unsafe HTML: <math> element is not allowed"),
        ("<details open ontoggle=alert(1)>", 'event handler attribute "ontoggle" is not allowed'),
        ('<div style="width: expression(1)">x</div>', 'unsafe HTML: "style" attribute is not'),
        ('<base href="https://evil.example/">', "unsafe HTML: <base> element is not allowed"),
        ('<meta http-equiv="refresh" content="0">', "unsafe HTML: <meta> element is not allowed"),
        ('<form action="/x"><button>Go</button></form>', "unsafe HTML: <form> element is not"),
        ("<object data=x></object>", "unsafe HTML: <object> element is not allowed"),
        ("<embed src=x>", "unsafe HTML: <embed> element is not allowed"),
        ("<link rel=stylesheet href=x>", "unsafe HTML: <link> element is not allowed"),
        ("<style>p{}</style>", "unsafe HTML: <style> element is not allowed"),
        ("<template></template>", "unsafe HTML: <template> element is not allowed"),
        ("<input onfocus=alert(1) autofocus>", "unsafe HTML: <input> element is not allowed"),
    ],
)
@pytest.mark.parametrize("where", ["block", "inline", "list", "quote", "table"])
def test_find_unsafe_html_reports_payloads_with_their_line(payload, message, where):
    prefix = "# Title\n\nIntro line one,\nline two.\n\n"
    body = {
        "block": payload,
        "inline": f"Text before\nand then {payload} after",
        "list": f"- first\n- item {payload}",
        "quote": f"> quoted\n> {payload}",
        "table": f"| a | b |\n|---|---|\n| 1 | {payload} |",
    }[where]
    line = 6 + body.count("\n")
    found = lines_of(prefix + body + "\n\nAfter.\n")
    assert [n for n, m in found if message in m] != [], found
    assert all(n == line for n, _ in found), found


def test_find_unsafe_html_reports_each_problem_once_in_document_order():
    source = (
        "# T\n\n"  # lines 1-2
        "Fine <kbd>K</kbd> `<script>` and\n"  # 3
        "`code\nspan <script>` then <img\nsrc=x onerror=alert(1)> [a](javascript:x)\n\n"  # 4-7
        '<div>\n<a href=" vbscript:x" style="c" onclick="y">a</a>\n</div>\n'  # 8-10
    )
    assert lines_of(source) == [
        (6, 'unsafe HTML: event handler attribute "onerror" is not allowed'),
        (6, 'unsafe URL "javascript:x": only http, https, mailto and relative links are allowed'),
        (9, 'unsafe URL "vbscript:x": only http, https, mailto and relative links are allowed'),
        (9, 'unsafe HTML: "style" attribute is not allowed'),
        (9, 'unsafe HTML: event handler attribute "onclick" is not allowed'),
    ]


@pytest.mark.parametrize(
    ("payload", "line", "message"),
    [
        ("<!--><script>alert(1)</script>-->", 1, "unsafe HTML: <script> element"),
        ("<!---><img src=x onerror=alert(1)>-->", 1, 'attribute "onerror"'),
        ("x <!-- a --!><script>1</script> -->", 1, "unsafe HTML: <script> element"),
        ("<![CDATA[><script>alert(1)</script>]]>", 1, "unsafe HTML: <script> element"),
        ("a <![CDATA[\n><img src=x onerror=y>]]> b", 2, 'attribute "onerror"'),
        ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', 1, "<noscript>"),
        ('<xmp><p title="</xmp><img src=x onerror=alert(1)>">', 1, "<xmp> element"),
    ],
)
def test_markup_hidden_where_parsers_disagree_is_reported(payload, line, message):
    found = lines_of(payload)
    assert [n for n, m in found if message in m] == [line], found


def test_code_and_harmless_html_are_not_reported():
    source = (
        "Use `<script>` and ``<img onerror=x>`` in code spans.\n\n"
        "```html\n<script>alert(1)</script>\n[x](javascript:alert(1))\n```\n\n"
        "    <iframe src=x></iframe>\n\n"
        "~~~\n<svg onload=x>\n~~~\n\n"
        "<kbd>Ctrl</kbd> <br> <sub>2</sub> <!-- <script>alert(1)</script> -->\n\n"
        "<details open>\n<summary>Why</summary>\n\nBecause.\n\n</details>\n\n"
        "[ok](https://example.com) [rel](media/x.png) [mail](mailto:a@b.c) <https://x.org>\n"
        '<img src="media/a.png" alt="javascript: is a word here">\n'
        "\\<script> is escaped text, and so is &lt;script&gt;.\n"
    )
    assert find_unsafe_html(source) == []


def test_find_unsafe_html_shortens_long_urls():
    (found,) = find_unsafe_html(f"![x](data:image/png;base64,{'A' * 500})")
    assert found == UnsafeContent(1, found.message)
    assert len(found.message) < 200 and '..."' in found.message


def test_references_and_unsafe_urls_agree_on_lines_after_a_multi_line_code_span():
    from courses.bundles.references import media_references

    source = "Use `a\nb` then ![x](media/a.png) and [y](javascript:z)\n"
    assert media_references(source) == [(2, "media/a.png")]
    assert [found.line for found in find_unsafe_html(source)] == [2]
