"""course.yaml's `exam:` block: read with file:line errors, written canonically, imported into
the exam settings through the bundle hooks, and exported back byte for byte."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from courses.bundles import bundle_files, read_bundle, write_bundle
from courses.errors import SourceInvalid
from courses.services import bundles, catalog
from exams.grading import ResultDetail
from exams.models import ExamSettings
from exams.rules import BOUNDS, RESULT_DETAILS
from exams.sequential import SequentialRules
from exams.services.settings import ExamRules, rule_problems, rules_of, stored_settings
from tests.factories import row_counts

# The bounds in the units the block is written in (minutes, hours, days).
ITEMS, TIME_LIMIT_MINUTES, ATTEMPTS, RETRY_DELAY_HOURS, VALIDITY_DAYS, REFRESH_ITEMS, GRACE_DAYS = (
    BOUNDS[name].written() for name in (
        "item_count", "time_limit_seconds", "attempts_allowed", "retry_delay_seconds",
        "validity_days", "refresh_item_count", "refresh_grace_days"))
SLUG = "clothing-tagging"
BASE_YAML = """slug: clothing-tagging
title: Tagging clothing in photos
code_name: Glue Swimsuit
description: |
  Learn to tag the clothing people wear in everyday photos, including mirror selfies.
  You will read the tagging rules, practise on real examples and take a short exam.
qualifies_for: Paid clothing-tagging projects (mirror selfies and street photos)
estimated_minutes: 90
dropout_window_days: 7
status: open
"""
BASE_LINES = BASE_YAML.count("\n")
FULL_EXAM = """exam:
  items: 6
  quotas:
    footwear: 1
    not-clothing: 2
  shuffle: false
  pass_mark: 0.75
  critical_rule: false
  result_detail: counts
  time_limit_minutes: 45
  attempts: null
  retry_delay_hours: 0.5
  validity_days: 90
  refresh:
    items: 3
    grace_days: 7
"""
FULL_RULES = ExamRules(
    item_count=6, quotas={"footwear": 1, "not-clothing": 2}, shuffle=False, pass_mark=0.75,
    critical_rule=False, time_limit_seconds=45 * 60, attempts_allowed=None,
    retry_delay_seconds=1800, validity_days=90, refresh_item_count=3, refresh_grace_days=7,
    result_detail="counts")


@pytest.fixture
def bundle_dir(repo_root: Path, tmp_path: Path) -> Path:
    target = tmp_path / SLUG
    shutil.copytree(repo_root / "examples" / SLUG, target)
    return target


def with_exam(folder: Path, exam: str | None) -> Path:
    (folder / "course.yaml").write_text(BASE_YAML + (exam or ""), encoding="utf-8")
    return folder


def errors_of(folder: Path) -> list[str]:
    with pytest.raises(SourceInvalid) as caught:
        read_bundle(folder)
    return [str(error) for error in caught.value.errors]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# Reading and writing (no database).


def test_a_full_block_reads_into_the_exam_rules(bundle_dir):
    exam = read_bundle(with_exam(bundle_dir, FULL_EXAM)).course.exam
    assert exam == FULL_RULES


def test_absent_keys_take_the_defaults_and_null_means_none(bundle_dir):
    exam = read_bundle(with_exam(bundle_dir, "exam:\n  items: 4\n  validity_days: null\n"
                                             "  time_limit_minutes: null\n")).course.exam
    defaults = ExamRules()
    rules = exam
    assert rules == ExamRules(**{**vars(defaults), "item_count": 4, "quotas": {},
                                 "time_limit_seconds": None, "validity_days": None})
    flow = read_bundle(with_exam(bundle_dir, "exam: {items: 4, refresh: {grace_days: 0}}\n"))
    assert flow.course.exam.refresh_grace_days == 0
    assert flow.course.exam.refresh_item_count == defaults.refresh_item_count


def test_a_bundle_without_an_exam_block_has_none_and_writes_none(bundle_dir, tmp_path):
    bundle = read_bundle(with_exam(bundle_dir, None))
    assert bundle.course.exam is None
    assert b"exam:" not in bundle_files(bundle)["course.yaml"]
    assert read_bundle(with_exam(bundle_dir, "exam:\n")).course.exam is None  # null


def test_the_canonical_block_reads_back_and_writes_byte_identical(bundle_dir, tmp_path):
    messy = FULL_EXAM.replace("  quotas:\n    footwear: 1\n    not-clothing: 2\n",
                              "  quotas: {not-clothing: 2, footwear: 1}\n")
    bundle = read_bundle(with_exam(bundle_dir, "exam:\n  refresh: {grace_days: 7, items: 3}\n"
                                   + messy.removeprefix("exam:\n").split("  refresh:")[0]))
    first, second = tmp_path / "first", tmp_path / "second"
    write_bundle(bundle, first)
    assert (first / "course.yaml").read_text(encoding="utf-8") == BASE_YAML + FULL_EXAM
    write_bundle(read_bundle(first), second)
    assert files_of(first) == files_of(second)


@pytest.mark.parametrize("seconds", [60, 90, 100, 1799, 3601, 86399, 86400])
def test_times_that_are_not_whole_minutes_or_hours_round_trip(bundle_dir, tmp_path, seconds):
    bundle = read_bundle(with_exam(bundle_dir, "exam: {}\n"))
    exam = dataclasses.replace(bundle.course.exam, time_limit_seconds=seconds,
                               retry_delay_seconds=seconds)
    course = type(bundle.course)(**{**vars(bundle.course), "exam": exam})
    out = tmp_path / "out"
    write_bundle(type(bundle)(course, bundle.versions, bundle.media, bundle.items_jsonl), out)
    again = read_bundle(out).course.exam
    assert (again.time_limit_seconds, again.retry_delay_seconds) == (seconds, seconds)


BAD = {
    "not a mapping": ("exam: 10\n", [f"course.yaml:{BASE_LINES + 1}: exam must be keys"]),
    "unknown key": ("exam:\n  item: 5\n",
                    [f'course.yaml:{BASE_LINES + 2}: unknown key "exam.item"; did you mean '
                     '"exam.items"?']),
    "unknown refresh key": ("exam:\n  refresh:\n    grace: 3\n",
                            [f'course.yaml:{BASE_LINES + 3}: unknown key "exam.refresh.grace"']),
    "duplicate key": ("exam:\n  items: 5\n  items: 6\n",
                      [f'course.yaml:{BASE_LINES + 3}: key "exam.items" appears twice']),
    "text count": ("exam:\n  items: ten\n",
                   [f"course.yaml:{BASE_LINES + 2}: exam.items must be a whole number"]),
    "decimal count": ("exam:\n  items: 5.5\n",
                      [f"course.yaml:{BASE_LINES + 2}: exam.items must be a whole number"]),
    "too many items": ("exam:\n  items: 501\n",
                       [f"course.yaml:{BASE_LINES + 2}: exam.items must be between 1 and 500"]),
    "null items": ("exam:\n  items: null\n",
                   [f"course.yaml:{BASE_LINES + 2}: exam.items must be a whole number, like"]),
    "percent pass mark": ("exam:\n  pass_mark: 80%\n",
                          [f"course.yaml:{BASE_LINES + 2}: exam.pass_mark must be a number"]),
    "pass mark above 1": ("exam:\n  pass_mark: 80\n",
                          [f"course.yaml:{BASE_LINES + 2}: exam.pass_mark must be a share"]),
    "zero pass mark": ("exam:\n  pass_mark: 0\n",
                       [f"course.yaml:{BASE_LINES + 2}: exam.pass_mark must be a share"]),
    "yes for true": ("exam:\n  shuffle: yes\n",
                     [f"course.yaml:{BASE_LINES + 2}: exam.shuffle must be true or false"]),
    "quoted flag": ('exam:\n  critical_rule: "true"\n',
                    [f"course.yaml:{BASE_LINES + 2}: exam.critical_rule must be true or false"]),
    "short time limit": ("exam:\n  time_limit_minutes: 0.5\n",
                         [f"course.yaml:{BASE_LINES + 2}: exam.time_limit_minutes must be "
                          "between 1 and 1440"]),
    "zero attempts": ("exam:\n  attempts: 0\n",
                      [f"course.yaml:{BASE_LINES + 2}: exam.attempts must be between 1 and 100"]),
    "negative delay": ("exam:\n  retry_delay_hours: -1\n",
                       [f"course.yaml:{BASE_LINES + 2}: exam.retry_delay_hours must be between"]),
    "long validity": ("exam:\n  validity_days: 3651\n",
                      [f"course.yaml:{BASE_LINES + 2}: exam.validity_days must be between"]),
    "refresh not a mapping": ("exam:\n  refresh: 5\n",
                              [f"course.yaml:{BASE_LINES + 2}: exam.refresh must be keys"]),
    "long grace": ("exam:\n  refresh:\n    items: 2\n    grace_days: 400\n",
                   [f"course.yaml:{BASE_LINES + 4}: exam.refresh.grace_days must be between"]),
    "unknown section": ("exam:\n  quotas:\n    footwear: 1\n    flippers: 1\n",
                        [f'course.yaml:{BASE_LINES + 4}: exam.quotas: "flippers" is not a '
                         "section of the latest manual version"]),
    "zero quota": ("exam:\n  quotas:\n    footwear: 0\n",
                   [f'course.yaml:{BASE_LINES + 3}: exam.quotas: the quota of section '
                    '"footwear" must be a whole number above 0']),
    "quotas a list": ("exam:\n  quotas: [footwear]\n",
                      [f"course.yaml:{BASE_LINES + 2}: exam.quotas must map section ids"]),
    "unknown result detail": ("exam:\n  result_detail: everything\n",
                              [f"course.yaml:{BASE_LINES + 2}: exam.result_detail must be one "
                               "of score, sections, counts"]),
    "result detail a number": ("exam:\n  result_detail: 3\n",
                               [f"course.yaml:{BASE_LINES + 2}: exam.result_detail must be one "
                                "of"]),
    "quotas over count": ("exam:\n  items: 2\n  quotas: {footwear: 2, legwear: 1}\n",
                          [f"course.yaml:{BASE_LINES + 3}: exam.quotas add up to 3 items"]),
    "unknown mode": ("exam:\n  mode: adaptive\n",
                     [f"course.yaml:{BASE_LINES + 2}: exam.mode must be one of fixed, "
                      "sequential"]),
    "sequential not a mapping": ("exam:\n  sequential: 5\n",
                                 [f"course.yaml:{BASE_LINES + 2}: exam.sequential must be keys"]),
    "unknown sequential key": ("exam:\n  sequential:\n    p2: 0.9\n",
                               [f'course.yaml:{BASE_LINES + 3}: unknown key '
                                '"exam.sequential.p2"']),
    "level above 0.99": ("exam:\n  sequential:\n    p1: 1\n",
                         [f"course.yaml:{BASE_LINES + 3}: exam.sequential.p1 must be between "
                          "0.01 and 0.99"]),
    "percent error rate": ("exam:\n  sequential:\n    alpha: 5%\n",
                           [f"course.yaml:{BASE_LINES + 3}: exam.sequential.alpha must be a "
                            "number"]),
    "too many sequential items": ("exam:\n  sequential:\n    max_items: 501\n",
                                  [f"course.yaml:{BASE_LINES + 3}: exam.sequential.max_items "
                                   "must be between 1 and 500"]),
    "levels the wrong way": ("exam:\n  mode: sequential\n  sequential:\n    p0: 0.9\n",
                             [f"course.yaml:{BASE_LINES + 3}: exam.sequential: The pass level "
                              "(85%) must be above the fail level (90%)."]),
    "truncation too short": ("exam:\n  mode: sequential\n  sequential: {max_items: 60}\n",
                             [f"course.yaml:{BASE_LINES + 3}: exam.sequential: With at most 60 "
                              "items the sequential exam, computed exactly, passes 10.4%"]),
    "sequential quotas over the most items": (
        "exam:\n  mode: sequential\n  quotas: {footwear: 9}\n  sequential:\n    min_items: 5\n"
        "    max_items: 8\n",
        [f"course.yaml:{BASE_LINES + 3}: exam.quotas add up to 9 items, more than the 8",
         f"course.yaml:{BASE_LINES + 4}: exam.sequential: With at most 8 items"]),
}


@pytest.mark.parametrize("block,expected", BAD.values(), ids=BAD.keys())
def test_a_bad_block_is_reported_at_its_line(bundle_dir, block, expected):
    errors = errors_of(with_exam(bundle_dir, block))
    for wanted in expected:
        assert any(error.startswith(wanted) for error in errors), (wanted, errors)
    assert len(errors) == len(expected), errors


def test_every_problem_of_a_block_is_listed_at_once(bundle_dir):
    block = "exam:\n  items: 0\n  shuffle: maybe\n  attempts: 101\n  refresh: {items: 0}\n"
    errors = errors_of(with_exam(bundle_dir, block))
    assert [e.split(":")[1] for e in errors] == [str(BASE_LINES + n) for n in (2, 3, 4, 5)]


def test_quota_sections_are_not_checked_while_the_manual_has_errors(bundle_dir):
    (bundle_dir / "manual" / "004.md").write_text("no front matter\n", encoding="utf-8")
    errors = errors_of(with_exam(bundle_dir, "exam:\n  quotas: {flippers: 1}\n"))
    assert not [e for e in errors if e.startswith("course.yaml")], errors


SEQUENTIAL_EXAM = """  mode: sequential
  sequential:
    p0: 0.65
    p1: 0.8
    alpha: 0.1
    beta: 0.1
    min_items: 5
    max_items: 98
    cut: 0.725
"""
SEQUENTIAL_RULES = dataclasses.replace(
    FULL_RULES, mode="sequential", sequential_p0=0.65, sequential_p1=0.8, sequential_alpha=0.1,
    sequential_beta=0.1, sequential_min_items=5, sequential_max_items=98, sequential_cut=0.725)


def test_a_sequential_block_reads_and_writes_back_byte_identical(bundle_dir, tmp_path):
    bundle = read_bundle(with_exam(bundle_dir, FULL_EXAM + SEQUENTIAL_EXAM))
    assert bundle.course.exam == SEQUENTIAL_RULES
    first, second = tmp_path / "first", tmp_path / "second"
    write_bundle(bundle, first)
    assert (first / "course.yaml").read_text(encoding="utf-8") == (
        BASE_YAML + FULL_EXAM + SEQUENTIAL_EXAM)
    write_bundle(read_bundle(first), second)
    assert files_of(first) == files_of(second)


def test_a_block_without_the_mode_reads_as_fixed_with_the_default_test(bundle_dir):
    exam = read_bundle(with_exam(bundle_dir, FULL_EXAM)).course.exam
    assert exam.mode == "fixed" and not exam.is_sequential
    assert exam.sequential_rules() == SequentialRules()


def test_a_fixed_exam_keeps_a_changed_sequential_test_in_the_block(bundle_dir, tmp_path):
    block = FULL_EXAM + "  sequential:\n    max_items: 200\n"
    bundle = read_bundle(with_exam(bundle_dir, block))
    assert (bundle.course.exam.mode, bundle.course.exam.sequential_max_items) == ("fixed", 200)
    write_bundle(bundle, tmp_path / "out")
    written = (tmp_path / "out" / "course.yaml").read_text(encoding="utf-8")
    assert written.endswith("  mode: fixed\n  sequential:\n    p0: 0.7\n    p1: 0.85\n"
                            "    alpha: 0.05\n    beta: 0.05\n    min_items: 10\n"
                            "    max_items: 200\n    cut: null\n")
    assert read_bundle(tmp_path / "out").course.exam == bundle.course.exam


@pytest.mark.parametrize("field,bounds,block", [
    ("item_count", ITEMS, "items: {}"),
    ("time_limit_seconds", TIME_LIMIT_MINUTES, "time_limit_minutes: {}"),
    ("attempts_allowed", ATTEMPTS, "attempts: {}"),
    ("retry_delay_seconds", RETRY_DELAY_HOURS, "retry_delay_hours: {}"),
    ("validity_days", VALIDITY_DAYS, "validity_days: {}"),
    ("refresh_item_count", REFRESH_ITEMS, "refresh: {{items: {}}}"),
    ("refresh_grace_days", GRACE_DAYS, "refresh: {{grace_days: {}}}"),
    ("sequential_min_items", BOUNDS["sequential_min_items"].written(),
     "sequential: {{min_items: {}}}"),
    ("sequential_max_items", BOUNDS["sequential_max_items"].written(),
     "sequential: {{max_items: {}}}"),
])
def test_the_ranges_agree_with_the_exam_settings_checks(bundle_dir, field, bounds, block):
    """What reading accepts, rule_problems accepts; the values just outside fail both."""
    low, high = bounds
    for value in (low, high):
        exam = read_bundle(with_exam(bundle_dir, f"exam:\n  {block.format(value)}\n")).course.exam
        assert rule_problems(exam) == [], (field, value)
    scale = {"time_limit_seconds": 60, "retry_delay_seconds": 3600}.get(field, 1)
    for value in (low - 1, high + 1):
        if value >= 0:
            errors_of(with_exam(bundle_dir, f"exam:\n  {block.format(value)}\n"))
        rules = ExamRules(**{**vars(ExamRules()), field: value * scale})
        assert rule_problems(rules), (field, value)


def test_the_result_details_agree_with_the_exam_settings_checks(bundle_dir):
    assert RESULT_DETAILS == tuple(detail.value for detail in ResultDetail)
    for detail in RESULT_DETAILS:
        exam = read_bundle(with_exam(bundle_dir, f"exam:\n  result_detail: {detail}\n"))
        assert exam.course.exam.result_detail == detail
        assert rule_problems(exam.course.exam) == []
    assert rule_problems(ExamRules(result_detail="everything"))


# Importing and exporting (database).


def import_folder(app, folder: Path):
    result = app.test_cli_runner().invoke(args=["courses", "import", str(folder)])
    return result


def settings_of(app) -> ExamRules | None:
    with app.app_context():
        course = catalog.find_course(SLUG)
        stored = stored_settings(course) if course else None
        return rules_of(stored) if stored else None


def test_import_stores_the_exam_rules_and_audits_them(app, bundle_dir):
    result = import_folder(app, with_exam(bundle_dir, FULL_EXAM))
    assert result.exit_code == 0, result.output
    assert settings_of(app) == FULL_RULES
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("exam_settings_changed") == 1
    again = import_folder(app, bundle_dir)  # unchanged: nothing written
    assert again.exit_code == 0, again.output
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action)).all() == actions


def test_a_changed_block_updates_the_rules_and_no_block_keeps_them(app, bundle_dir):
    import_folder(app, with_exam(bundle_dir, FULL_EXAM))
    changed = FULL_EXAM.replace("pass_mark: 0.75", "pass_mark: 0.9")
    assert import_folder(app, with_exam(bundle_dir, changed)).exit_code == 0
    assert settings_of(app).pass_mark == 0.9
    assert import_folder(app, with_exam(bundle_dir, None)).exit_code == 0
    assert settings_of(app).pass_mark == 0.9


def test_a_bad_block_writes_nothing(app, bundle_dir):
    import_folder(app, with_exam(bundle_dir, FULL_EXAM))
    before = row_counts(app), settings_of(app)
    bad = FULL_EXAM.replace("pass_mark: 0.75", "pass_mark: 1.5").replace("items: 6", "items: x")
    result = import_folder(app, with_exam(bundle_dir, bad))
    assert result.exit_code == 1
    assert f"{bundle_dir}/course.yaml:{BASE_LINES + 2}: exam.items must be a whole number" \
        in result.output
    assert f"{bundle_dir}/course.yaml:{BASE_LINES + 7}: exam.pass_mark must be a share" \
        in result.output
    assert (row_counts(app), settings_of(app)) == before


def test_a_new_course_with_a_bad_block_is_not_created(app, bundle_dir):
    result = import_folder(app, with_exam(bundle_dir, "exam:\n  attempts: 0\n"))
    assert result.exit_code == 1
    with app.app_context():
        assert catalog.find_course(SLUG) is None
        assert db.session.scalar(select(ExamSettings)) is None


@pytest.mark.parametrize(("block", "rules"), [(FULL_EXAM, FULL_RULES),
                                             (FULL_EXAM + SEQUENTIAL_EXAM, SEQUENTIAL_RULES)],
                         ids=["fixed", "sequential"])
def test_export_import_export_with_an_exam_block_is_byte_identical(app, bundle_dir, tmp_path,
                                                                   block, rules):
    assert import_folder(app, with_exam(bundle_dir, block)).exit_code == 0
    assert settings_of(app) == rules
    first, second = tmp_path / "first", tmp_path / "second"
    with app.app_context():
        bundles.export_bundle(catalog.find_course(SLUG), first)
    assert (first / "course.yaml").read_text(encoding="utf-8") == BASE_YAML + block
    with app.app_context():
        db.session.remove()
        from tests.conftest import _empty_tables
        _empty_tables()
    assert import_folder(app, first).exit_code == 0
    with app.app_context():
        bundles.export_bundle(catalog.find_course(SLUG), second)
    assert files_of(first) == files_of(second)


def test_a_course_without_exam_rules_exports_no_block(app, bundle_dir, tmp_path):
    assert import_folder(app, with_exam(bundle_dir, None)).exit_code == 0
    with app.app_context():
        bundles.export_bundle(catalog.find_course(SLUG), tmp_path / "out")
    assert (tmp_path / "out" / "course.yaml").read_text(encoding="utf-8") == BASE_YAML
