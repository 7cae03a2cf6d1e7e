"""The sequential exam mode on the settings page: saving it, previewing its operating
characteristics without saving, field errors, and the charts (exams.operating, exams.charts)."""

from __future__ import annotations

import html
import re
import time

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from exams import operating
from exams.models import ExamSettings
from exams.sequential import SequentialRules, characteristics, fixed_equivalent
from tests.exams.test_views_manage import table_rows
from tests.factories import MANAGE_SLUG, SEQUENTIAL_DATA, post_form, signed_in

BASE = f"/courses/{MANAGE_SLUG}"
PAGE = f"{BASE}/exam/settings"


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def staff(app, setup):
    return signed_in(app, setup.instructor)


def settings_data(**overrides) -> dict:
    data = {"item_count": "4", "quotas": "", "shuffle": "y", "pass_mark": "80",
            "critical_rule": "y", "time_limit_minutes": "30", "attempts_allowed": "3",
            "retry_delay_hours": "24", "validity_days": "", "refresh_item_count": "2",
            "refresh_grace_days": "14", "result_detail": "sections", **SEQUENTIAL_DATA}
    return {**data, **overrides}


def stored(app, setup) -> ExamSettings:
    with app.app_context():
        row = db.session.scalar(select(ExamSettings).where(
            ExamSettings.course_id == setup.course_id))
        db.session.expunge(row)
        return row


def chart_sources(page: str) -> list[str]:
    return [html.unescape(src) for src in re.findall(r'(?:src|srcset)="([^"]+\.svg[^"]*)"', page)]


def test_a_fixed_exam_shows_no_characteristics_until_previewed(staff):
    page = text_of(staff.get(PAGE))
    assert 'value="fixed" checked' in page or re.search(r'checked[^>]*value="fixed"', page)
    assert 'id="sequential_p0"' in page and 'value="70.0"' in page
    assert "How the sequential exam decides" not in page
    assert "Preview the sequential exam" in page


def test_saving_the_sequential_mode_stores_shares_and_shows_the_characteristics(app, staff,
                                                                                  setup):
    response = post_form(staff, PAGE, settings_data(
        mode="sequential", sequential_p0="65", sequential_p1="80", sequential_alpha="10",
        sequential_beta="10", sequential_min_items="5", sequential_max_items="98",
        sequential_cut="72.5"), page=PAGE, follow_redirects=True)
    page = text_of(response)
    assert "Exam settings saved." in page
    row = stored(app, setup)
    assert (row.mode, row.sequential_p0, row.sequential_p1, row.sequential_alpha,
            row.sequential_beta, row.sequential_min_items, row.sequential_max_items,
            row.sequential_cut) == ("sequential", 0.65, 0.8, 0.1, 0.1, 5, 98, 0.725)
    assert 'value="72.5"' in page and 'value="65.0"' in page
    assert "How the sequential exam decides" in page and "Preview, not saved" not in page
    rules = SequentialRules(p0=0.65, p1=0.8, alpha=0.1, beta=0.1, min_items=5, max_items=98,
                            cut=0.725)
    at_p0, at_p1 = characteristics(rules, [0.65, 0.8])
    fixed = fixed_equivalent(rules)
    assert (f"A fixed-length exam with the same error rates needs <strong>{fixed.items} items"
            f"</strong> (passed with {fixed.cut} right)") in page
    rows = table_rows(page)
    assert rows[:5] == [
        ["", "At the fail level (65% right)", "At the pass level (80% right)"],
        ["Passes the sequential exam", f"{at_p0.pass_probability:.1%} of the time",
         f"{at_p1.pass_probability:.1%} of the time"],
        ["Items on average", f"{at_p0.expected_items:.0f}", f"{at_p1.expected_items:.0f}"],
        ["Items for 95 in 100 trainees", f"at most {at_p0.items_p95}",
         f"at most {at_p1.items_p95}"],
        [f"Passes the fixed-length exam ({fixed.items} items)",
         f"{fixed.pass_rate_p0:.1%} of the time", f"{fixed.pass_rate_p1:.1%} of the time"]]
    sources = chart_sources(page)
    assert len(sources) == 4  # two charts, each wide and narrow
    assert all("p0=0.65" in src and "max_items=98" in src and "cut=0.725" in src
               for src in sources)


def test_preview_shows_the_form_values_without_saving(app, staff, setup):
    before = stored(app, setup)
    response = post_form(staff, PAGE, settings_data(
        action="preview", mode="sequential", sequential_max_items="200"), page=PAGE)
    assert response.status_code == 200
    page = text_of(response)
    assert "Preview, not saved" in page and "as if the exam were sequential" not in page
    assert "Exam settings saved." not in page
    assert 'value="200"' in page
    assert all("max_items=200" in src for src in chart_sources(page))
    after = stored(app, setup)
    assert (after.mode, after.sequential_max_items, after.updated_at) == (
        before.mode, before.sequential_max_items, before.updated_at)


def test_preview_of_a_fixed_exam_shows_what_a_sequential_one_would_do(staff):
    page = text_of(post_form(staff, PAGE, settings_data(action="preview"), page=PAGE))
    assert "as if the exam were sequential" in page
    assert len(chart_sources(page)) == 4


def test_a_truncation_that_breaks_the_error_rates_is_refused_with_the_fewest_that_keeps_them(
        app, staff, setup):
    response = post_form(staff, PAGE, settings_data(mode="sequential",
                                                    sequential_max_items="60"), page=PAGE)
    page = text_of(response)
    assert ("With at most 60 items the sequential exam, computed exactly, passes 10.4% of "
            "trainees at the fail level (at most 5.0% asked) and fails 6.5% at the pass level "
            "(at most 5.0% asked)") in page
    assert "123 items is the fewest that keeps both" in page
    assert "How the sequential exam decides" in page  # the cost is shown beside the refusal
    assert stored(app, setup).mode == "fixed"


@pytest.mark.parametrize(("field", "value", "words"), [
    ("sequential_p0", "0", "Number must be between 1.0 and 99.0."),
    ("sequential_alpha", "30", "Number must be between 0.1 and 25.0."),
    ("sequential_max_items", "501", "Number must be between 1 and 500."),
    ("sequential_min_items", "", "This field is required."),
    ("mode", "adaptive", "Not a valid choice."),
])
def test_bad_values_give_field_errors(app, staff, setup, field, value, words):
    response = post_form(staff, PAGE, settings_data(**{"mode": "sequential", field: value}),
                         page=PAGE)
    page = text_of(response)
    assert response.status_code == 200
    assert re.search(rf'<p class="error" id="{field}-error">{re.escape(words)}', page), page
    assert stored(app, setup).mode == "fixed"


def test_levels_that_disagree_are_named(staff):
    page = text_of(post_form(staff, PAGE, settings_data(
        mode="sequential", sequential_p0="90", sequential_min_items="200",
        sequential_cut="95"), page=PAGE))
    assert "The pass level (85%) must be above the fail level (90%)." in page
    assert "The fewest items (200) must be at most the most items (123)." in page
    assert ("The share right that passes at the most items (95%) must lie between the fail "
            "level (90%) and the pass level (85%).") in page
    assert "How the sequential exam decides" not in page


def test_the_charts_are_svg_with_titles_and_a_policy(staff):
    query = "p0=0.7&p1=0.85&alpha=0.05&beta=0.05&min_items=10&max_items=123"
    for chart, title in (("pass", "Chance of passing by true accuracy"),
                         ("items", "Items answered by true accuracy")):
        for size in ("wide", "narrow"):
            response = staff.get(f"{BASE}/exam/characteristics/{chart}.svg?{query}&size={size}")
            assert response.status_code == 200 and response.mimetype == "image/svg+xml"
            svg = response.get_data(as_text=True)
            assert f"<title>{title}</title>" in svg and "<script" not in svg
            assert "True accuracy of the" in svg  # the axis, wrapped on a phone
            assert "script-src" not in response.headers["Content-Security-Policy"]
    page = text_of(staff.get(PAGE))
    assert "Line chart" not in page  # no alt text until there are charts


@pytest.mark.parametrize("query", [
    "p0=0.7&p1=0.85&alpha=0.05&beta=0.05&min_items=10",  # max_items missing
    "p0=0.9&p1=0.85&alpha=0.05&beta=0.05&min_items=10&max_items=123",
    "p0=0.7&p1=0.85&alpha=0.05&beta=0.05&min_items=10&max_items=5000",
    "p0=nan&p1=0.85&alpha=0.05&beta=0.05&min_items=10&max_items=123",
    "p0=0.7&p1=0.85&alpha=0.05&beta=0.05&min_items=x&max_items=123",
])
def test_charts_of_tests_out_of_bounds_are_not_found(staff, query):
    assert staff.get(f"{BASE}/exam/characteristics/pass.svg?{query}").status_code == 404


def test_the_charts_are_for_staff_only(app, setup):
    trainee = signed_in(app, setup.trainee)
    query = "p0=0.7&p1=0.85&alpha=0.05&beta=0.05&min_items=10&max_items=123"
    assert trainee.get(f"{BASE}/exam/characteristics/pass.svg?{query}").status_code in (
        403, 404)


def test_the_longest_test_is_computed_fast_enough_for_a_page():
    """The exact characteristics of a 500-item test on the page's grid: well under a second,
    and the page's two charts reuse it."""
    operating.profile.cache_clear()
    rules = SequentialRules(p0=0.80, p1=0.85, alpha=0.05, beta=0.05, min_items=10,
                            max_items=500)
    started = time.perf_counter()
    first = operating.profile(rules)
    took = time.perf_counter() - started
    assert took < 2.0, took
    assert operating.profile(rules) is first
    assert len(first.pass_curve) == len(operating.GRID) == 51
