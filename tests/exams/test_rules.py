"""exams.rules: the one table of exam rule bounds and defaults that the settings check, the
settings form, the stored settings and the course bundle's `exam:` block all read."""

from __future__ import annotations

import dataclasses

import pytest
from wtforms.validators import NumberRange

from exams.forms import ExamSettingsForm
from exams.models import ExamSettings
from exams.rules import (
    BOUNDS,
    DEFAULTS,
    MODES,
    PASS_MARK_PERCENT,
    SEQUENTIAL_FIELDS,
    ExamRules,
    QuotaProblem,
    problems,
    quota_problems,
)
from exams.sequential import SequentialRules

FORM_FIELDS = {"item_count": "item_count", "time_limit_seconds": "time_limit_minutes",
               "attempts_allowed": "attempts_allowed", "retry_delay_seconds": "retry_delay_hours",
               "validity_days": "validity_days", "refresh_item_count": "refresh_item_count",
               "refresh_grace_days": "refresh_grace_days"}


def test_the_defaults_pass_the_check():
    assert problems(DEFAULTS) == []


@pytest.mark.parametrize("name", BOUNDS)
def test_each_bound_is_checked_at_its_edges(name):
    bound = BOUNDS[name]
    edges = [bound.high] if bound.open_low else [bound.low, bound.high]
    for value in edges:
        assert problems(dataclasses.replace(DEFAULTS, **{name: value})) == [], (name, value)
    for value in (bound.low - bound.scale if not bound.open_low else bound.low,
                  bound.high + bound.scale):
        assert problems(dataclasses.replace(DEFAULTS, **{name: value})) == [bound.problem]


def test_problems_keep_the_order_of_the_table():
    rules = ExamRules(item_count=0, pass_mark=0, refresh_grace_days=-1, result_detail="all")
    assert problems(rules) == [BOUNDS["item_count"].problem, BOUNDS["pass_mark"].problem,
                               BOUNDS["refresh_grace_days"].problem,
                               "What a result shows must be one of: score, sections, counts."]


@pytest.mark.parametrize("rule,field", FORM_FIELDS.items())
def test_the_form_asks_within_the_bounds_in_its_units(app, rule, field):
    with app.test_request_context():
        form = ExamSettingsForm(meta={"csrf": False})
    (check,) = [v for v in form[field].validators if isinstance(v, NumberRange)]
    assert (check.min, check.max) == BOUNDS[rule].written()


def test_the_form_asks_for_the_pass_mark_in_percent(app):
    with app.test_request_context():
        form = ExamSettingsForm(meta={"csrf": False})
    (check,) = [v for v in form.pass_mark.validators if isinstance(v, NumberRange)]
    assert (check.min, check.max) == PASS_MARK_PERCENT == (1, 100)


def test_the_stored_settings_default_to_the_table():
    columns = ExamSettings.__table__.columns
    for field in dataclasses.fields(ExamRules):
        default = columns[field.name].default
        if default is not None and not callable(default.arg):
            assert default.arg == getattr(DEFAULTS, field.name), field.name


def test_good_quotas_have_no_problem():
    assert quota_problems({"shoes": 1, "hats": 2}, sections=["intro", "shoes", "hats"],
                          item_count=3) == []


@pytest.mark.parametrize("count", [0, -1, "two", None, True, 1.0])
def test_a_quota_is_a_whole_number_above_zero(count):
    (problem,) = quota_problems({"hats": count}, sections=["hats"])
    assert (problem.section, problem.check) == ("hats", "count")
    assert problem.line.startswith("the number of items for “hats” must be a whole number "
                                   "above 0")
    assert problem.line.endswith("above 0." if count is None else f", not “{count}”.")
    assert problem.key == ': the quota of section "hats" must be a whole number above 0, like 2'


def test_a_quota_names_a_section_of_the_latest_manual():
    (problem,) = quota_problems({"socks": 2, "hats": 0}, sections=["intro", "hats"])[:1]
    assert (problem.section, problem.check) == ("socks", "section")
    assert problem.line == ("there is no section “socks”. The latest manual's sections are: "
                            "intro, hats.")
    assert problem.key == (': "socks" is not a section of the latest manual version '
                           "(its sections: intro, hats)")
    (none,) = quota_problems({"socks": 2}, sections=[])
    assert none.line.endswith("The course has no published manual yet.")
    assert none.key.endswith("(its sections: none)")
    assert quota_problems({"socks": 2}) == []  # sections unknown: not checked


def test_quotas_add_up_to_no_more_than_the_items_of_the_exam():
    assert quota_problems({"shoes": 2, "hats": 0, "socks": 1}, item_count=2)[-1:] == [
        QuotaProblem(None, "sum", "the section quotas add up to 3 items, more than the 2 "
                     "items of the exam.", " add up to 3 items, more than the 2 items of the exam")]
    assert quota_problems({"shoes": 2, "hats": 1}, item_count=3) == []
    assert quota_problems({"shoes": 9}) == []  # no item count: not checked


def test_the_settings_check_says_what_is_wrong_with_a_quota():
    assert problems(dataclasses.replace(DEFAULTS, quotas={"hats": 0})) == [
        "The number of items for “hats” must be a whole number above 0, not “0”."]


# The sequential mode.


def test_the_sequential_defaults_are_the_cores_and_keep_their_error_rates():
    assert DEFAULTS.mode == "fixed" and MODES == ("fixed", "sequential")
    assert DEFAULTS.sequential_rules() == SequentialRules()
    assert problems(dataclasses.replace(DEFAULTS, mode="sequential")) == []


@pytest.mark.parametrize(("rule", "field"), [(name, name) for name in SEQUENTIAL_FIELDS])
def test_the_form_asks_for_the_sequential_test_within_the_bounds(app, rule, field):
    with app.test_request_context():
        form = ExamSettingsForm(meta={"csrf": False})
    (check,) = [v for v in form[field].validators if isinstance(v, NumberRange)]
    low, high = BOUNDS[rule].written()
    percent_based = not BOUNDS[rule].whole  # levels, error rates and the cut are asked in %
    factor = 100 if percent_based else 1
    assert (check.min, check.max) == pytest.approx((low * factor, high * factor))


def test_a_fixed_exam_does_not_check_how_its_sequential_test_agrees():
    odd = dataclasses.replace(DEFAULTS, sequential_p0=0.9, sequential_max_items=20)
    assert problems(odd) == []
    assert problems(dataclasses.replace(odd, mode="sequential")) == [
        "The pass level (85%) must be above the fail level (90%)."]


def test_a_sequential_exam_checks_its_truncation_with_the_exact_computation():
    (problem,) = problems(dataclasses.replace(DEFAULTS, mode="sequential",
                                              sequential_max_items=60))
    assert problem == (
        "With at most 60 items the sequential exam, computed exactly, passes 10.4% of trainees "
        "at the fail level (at most 5.0% asked) and fails 6.5% at the pass level (at most 5.0% "
        "asked): stopping there and deciding by the cut moves the error rates. 123 items is the "
        "fewest that keeps both, with the same fewest items and cut.")
    (impossible,) = problems(dataclasses.replace(
        DEFAULTS, mode="sequential", sequential_p0=0.8, sequential_p1=0.82,
        sequential_alpha=0.001))
    assert "No most number of items keeps both (no maximum up to 500 items" in impossible


def test_the_quotas_of_a_sequential_exam_fit_its_most_items():
    rules = dataclasses.replace(DEFAULTS, quotas={"hats": 130}, mode="sequential")
    assert problems(rules) == ["The section quotas add up to 130 items, more than the 123 "
                               "items of the exam."]
    assert problems(dataclasses.replace(rules, quotas={"hats": 123})) == []


def test_an_unknown_mode_is_a_problem():
    assert problems(dataclasses.replace(DEFAULTS, mode="adaptive")) == [
        "The exam mode must be one of: fixed, sequential."]
