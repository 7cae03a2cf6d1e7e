"""Forms for the instructor side of exams: settings, qualification actions, disputes."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from exams.rules import BOUNDS, PASS_MARK_PERCENT, is_quota, quota_problems
from exams.sequential import MAX_ITEMS_CAP
from exams.services.disputes import MAX_COMMENT, TOO_LONG

QUOTA_LINE = re.compile(r"^\s*(?P<section>[^:\s][^:]*?)\s*:\s*(?P<count>\S+)\s*$")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _within(rule: str) -> NumberRange:
    """The rule's bounds (exams.rules) in the units the form asks for."""
    low, high = BOUNDS[rule].written()
    return NumberRange(min=low, max=high)


def _percent_within(rule: str) -> NumberRange:
    """The bounds of a rule kept as a share, for a form that asks for it in %."""
    low, high = BOUNDS[rule].written()
    return NumberRange(min=round(low * 100, 6), max=round(high * 100, 6))


class ExamSettingsForm(FlaskForm):
    item_count = IntegerField(
        "Number of items", validators=[InputRequired(), _within("item_count")],
        description="How many items each attempt draws from the exam pool.")
    quotas = TextAreaField(
        "Items per manual section (optional)", validators=[Length(max=10_000)],
        description="One line per section: the section id, a colon and the least number of "
                    "items on it, e.g. “what-counts: 3”. The rest are drawn from the whole pool.")
    shuffle = BooleanField("Shuffle the order of the items for each attempt")
    pass_mark = FloatField(
        "Pass mark (% of the points)",
        validators=[InputRequired(), NumberRange(*PASS_MARK_PERCENT)])
    critical_rule = BooleanField(
        "Any critical item answered wrong fails the exam, whatever the score")
    result_detail = RadioField(
        "What a trainee's result shows", choices=[
            SelectChoice("score", "The score only"),
            SelectChoice("sections", "The score and the sections to re-read"),
            SelectChoice("counts", "The score and the sections to re-read, with how many "
                                   "items on them were missed"),
        ], validators=[InputRequired(message="Choose what a result shows.")],
        description="Never an item's own right or wrong: sections are reported in groups of "
                    "at least 3 items of the attempt, and an attempt of fewer than 3 items "
                    "shows only passed or not passed. Applies to past results too.")
    time_limit_minutes = IntegerField(
        "Time limit (minutes, empty for none)",
        validators=[Optional(), _within("time_limit_seconds")])
    attempts_allowed = IntegerField(
        "Attempts allowed (empty for unlimited)",
        validators=[Optional(), _within("attempts_allowed")])
    retry_delay_hours = FloatField(
        "Delay before a retry (hours, e.g. 0.5)",
        validators=[InputRequired(), _within("retry_delay_seconds")])
    validity_days = IntegerField(
        "Qualification valid for (days, empty for no expiry)",
        validators=[Optional(), _within("validity_days")])
    refresh_item_count = IntegerField(
        "Items in a refresh exam", validators=[InputRequired(), _within("refresh_item_count")],
        description="The short exam on the changed sections after a material manual change.")
    refresh_grace_days = IntegerField(
        "Days to take the refresh exam",
        validators=[InputRequired(), _within("refresh_grace_days")],
        description="After this grace period, a qualification not refreshed expires.")
    mode = RadioField(
        "How long an attempt is", choices=[
            SelectChoice("fixed", "Fixed length: every attempt has as many items as set above"),
            SelectChoice("sequential", "Sequential: the exam ends as soon as the result is "
                                       "certain, between the fewest and the most items below"),
        ], validators=[InputRequired(message="Choose how long an attempt is.")],
        description="A sequential exam weighs the answers after each one and stops once they "
                    "show, with the error rates below, that the trainee is at the pass level "
                    "or at the fail level. The section quotas are coverage it must reach "
                    "before it may stop; a critical item answered wrong still fails at once.")
    sequential_p0 = FloatField(
        "Fail level (% of items right)",
        validators=[InputRequired(), _percent_within("sequential_p0")],
        description="A trainee this accurate should fail.")
    sequential_p1 = FloatField(
        "Pass level (% of items right)",
        validators=[InputRequired(), _percent_within("sequential_p1")],
        description="A trainee this accurate should pass; above the fail level.")
    sequential_alpha = FloatField(
        "Chance of passing a trainee at the fail level (%)",
        validators=[InputRequired(), _percent_within("sequential_alpha")])
    sequential_beta = FloatField(
        "Chance of failing a trainee at the pass level (%)",
        validators=[InputRequired(), _percent_within("sequential_beta")])
    sequential_min_items = IntegerField(
        "Fewest items", validators=[InputRequired(), _within("sequential_min_items")],
        description="The exam never decides before this many answers.")
    sequential_max_items = IntegerField(
        "Most items", validators=[InputRequired(), _within("sequential_max_items")],
        description=f"An exam still undecided here is passed or failed by the share right "
                    f"(at most {MAX_ITEMS_CAP}).")
    sequential_cut = FloatField(
        "Share right that passes at the most items (%, optional)",
        validators=[Optional(), _percent_within("sequential_cut")],
        description="Between the fail and the pass level. Empty: where the answers weigh "
                    "evenly for both.")


def parse_quotas(text: str, known: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    """`section-id: N` lines -> ({section: N}, problems naming the line); blank lines skipped.

    The lines become a mapping here (a number written in digits an int, anything else the text
    written); exams.rules.quota_problems checks it against the latest manual's sections.
    """
    written: dict[str, int | str] = {}
    lines: dict[str, int] = {}
    problems: list[tuple[int, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = QUOTA_LINE.match(line)
        if match is None:
            problems.append((number, f"write “section-id: number”, not “{line.strip()}”."))
            continue
        section, count = match["section"], match["count"]
        if section in lines:
            problems.append((number, f"section “{section}” is already on line "
                                     f"{lines[section]}."))
            continue
        lines[section] = number
        written[section] = int(count) if count.isdecimal() else count
    found = quota_problems(written, sections=list(known))
    problems += [(lines[problem.section], problem.line) for problem in found if problem.section]
    wrong = {problem.section for problem in found}
    quotas = {section: count for section, count in written.items()
              if section not in wrong and is_quota(count)}
    return quotas, [f"Line {number}: {message}" for number, message in sorted(problems)]


def quotas_text(quotas: dict[str, int] | None, order: list[str] = ()) -> str:
    """The quotas as the form's lines, in manual order (the database may not keep key order)."""
    rank = {section: n for n, section in enumerate(order)}
    ordered = sorted((quotas or {}).items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
    return "\n".join(f"{section}: {count}" for section, count in ordered)


class ReasonForm(FlaskForm):
    """Revoke or reinstate a qualification: the reason goes into its history and the audit log."""

    reason = TextAreaField("Reason", filters=[_strip], validators=[
        DataRequired(message="Give a reason: it is kept in the history and the trainee sees it."),
        Length(max=1000)])


class RoundRequestForm(FlaskForm):
    """A trainee with no attempts left asks for another round."""

    message = TextAreaField("Message to your instructor (optional)", filters=[_strip],
                            validators=[Length(max=1000)])


class RoundAnswerForm(FlaskForm):
    """An instructor grants or declines a request for another round."""

    action = RadioField("Decision", choices=[
        SelectChoice("grant", "Give another round of attempts"),
        SelectChoice("decline", "Decline"),
    ], validators=[InputRequired(message="Choose a decision.")])
    answer = TextAreaField("Answer to the trainee", filters=[_strip],
                           validators=[Length(max=1000)],
                           description="Required when declining; the trainee sees it.")


class ResolveDisputeForm(FlaskForm):
    action = RadioField("Decision", choices=[
        SelectChoice("accept_alternative",
                     "Accept the trainee's answer as another correct answer"),
        SelectChoice("accept_correct", "Make the trainee's answer the gold (correct the gold)"),
        SelectChoice("reject", "Reject: the gold stands"),
    ], validators=[InputRequired(message="Choose a decision.")])
    reply = TextAreaField("Reply to the trainee", filters=[_strip],
                          validators=[Length(max=MAX_COMMENT)],
                          description="Required when rejecting; the trainee sees it.")


class DisputeForm(FlaskForm):
    """A trainee disputes an item's gold, from practice feedback or an exam result."""

    comment = TextAreaField("What is wrong with this item's correct answer?", filters=[_strip],
                            validators=[DataRequired(message="Say what you think is wrong."),
                                        Length(max=MAX_COMMENT, message=TOO_LONG)])

    def refusal(self) -> str | None:
        """Why the posted dispute cannot be sent, for a flash message; None when it can."""
        if self.validate_on_submit():
            return None
        return " ".join(self.comment.errors) or "The form has expired; try again."
