"""The manual page's contents list and sections as HTML, built once per published version.

A 43-page manual has 128 sections, and looping over them in Jinja cost more than the rest of
its page. The markup of each section is the same for every trainee but for two marks, changed
and read, so each worker builds every section's pieces once; a page view only picks pieces
and puts in its form's CSRF field.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache

from markupsafe import Markup, escape

from bootcamp.extensions import db
from courses.models import ManualVersion
from courses.services import manuals

CHANGED_TAG = '<span class="tag tag-changed">Changed</span>'
READ_TAG = '<span class="tag tag-read">Read</span>'
CHANGED_NOTE = '<p class="tag tag-changed">Changed</p>\n'
READ_NOTE = '<p class="read-note">You marked this section as read.</p>'


@dataclass(frozen=True, slots=True)
class SectionMarkup:
    """One section's pieces: its contents entry up to its tags, its opening tag plain or
    marked changed, its body up to the form's CSRF field, and the rest of the form."""

    id: str
    entry: str
    opening: str
    changed_opening: str
    body: str
    unread_end: str
    read_end: str


@dataclass(frozen=True, slots=True)
class ManualMarkup:
    """What the manual template shows: the contents list's entries and the sections."""

    contents: Markup
    sections: Markup


def manual_markup(version: ManualVersion, media_prefix: str, mark_read_url: str,
                  csrf_field: str, changed: Set[str], read: Set[str]) -> ManualMarkup:
    """The contents list and sections of a published `version` for one trainee: sections in
    `changed` marked changed, those in `read` marked read, the others with a button."""
    pieces = _pieces(version.id, version.digest, manuals.RENDERER_VERSION, media_prefix,
                     version.number, mark_read_url)
    contents = "".join(
        f"{piece.entry}{CHANGED_TAG if piece.id in changed else ''}"
        f"{READ_TAG if piece.id in read else ''}</li>\n" for piece in pieces)
    sections = "".join(
        f"{piece.changed_opening if piece.id in changed else piece.opening}{piece.body}"
        f"{csrf_field}{piece.read_end if piece.id in read else piece.unread_end}"
        for piece in pieces)
    return ManualMarkup(Markup(contents), Markup(sections))  # noqa: S704  (escaped pieces)


@lru_cache(maxsize=16)
def _pieces(version_id: int, digest: str, renderer: int, media_prefix: str, number: int,
            mark_read_url: str) -> tuple[SectionMarkup, ...]:
    """Every section's pieces, cached under what keys the kept rendering (render_version)."""
    version = db.session.get(ManualVersion, version_id)  # the page's own, in the session
    rendered = manuals.render_version(version, media_prefix)
    action = escape(mark_read_url)
    pieces = []
    for section in rendered.sections:
        sid, title = escape(section.id), escape(section.title)
        labelled = f'aria-labelledby="{sid}">\n'
        fields = (f'\n<input type="hidden" name="version" value="{number}">\n'
                  f'<input type="hidden" name="section" value="{sid}">\n')
        pieces.append(SectionMarkup(
            id=section.id,
            entry=f'<li class="toc-level-{section.level}">\n<a href="#{sid}">{title}</a>\n',
            opening=f'<section class="manual-section" {labelled}',
            changed_opening=f'<section class="manual-section is-changed" {labelled}{CHANGED_NOTE}',
            body=f'{section.html}\n<form method="post" action="{action}" class="mark-read">\n',
            unread_end=f'{fields}<button type="submit" class="secondary" aria-label="Mark as '
                       f'read: {title}">Mark as read</button>\n</form>\n</section>\n',
            read_end=f"{fields}{READ_NOTE}\n</form>\n</section>\n",
        ))
    return tuple(pieces)
