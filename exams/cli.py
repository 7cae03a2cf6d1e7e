"""`bootcamp exams sweep`: close attempts past their deadline, expire lapsed qualifications.
`bootcamp exams characteristics`: what a sequential exam costs and how surely it decides.

The web app runs the same sweep (exams.views.sweep) before requests; run it from cron (say
every few minutes) so that results and qualification statuses are current without them.
"""

from __future__ import annotations

from typing import Any

import click
import numpy as np
from flask.cli import AppGroup

from exams import operating, sequential
from exams.rules import percent

DEFAULT_RULES = sequential.SequentialRules()

exams_cli = AppGroup("exams", help="Exam housekeeping.")


@exams_cli.command("sweep")
def sweep_command() -> None:
    """Grade open attempts whose deadline passed; expire qualifications that lapsed."""
    from exams.views.sweep import sweep

    closed, expired = sweep()
    click.echo(f"Closed {closed} expired attempt(s); expired {expired} qualification(s).")


OPTION_NAMES = ("p0", "p1", "alpha", "beta", "min_items", "max_items", "cut")


def _setting(flag: str, kind: type, words: str) -> Any:
    """An option overriding one sequential setting; its default is the course's."""
    default = getattr(DEFAULT_RULES, flag.removeprefix("--").replace("-", "_"))
    return click.option(flag, type=kind, default=None,
                        help=f"{words} [default: the course's, else {default}].")


@exams_cli.command("characteristics", with_appcontext=False)
@click.argument("slug", required=False)
@_setting("--p0", float, "Fail level: the accuracy the exam should fail")
@_setting("--p1", float, "Pass level: the accuracy the exam should pass")
@_setting("--alpha", float, "Highest pass rate wanted at p0")
@_setting("--beta", float, "Highest fail rate wanted at p1")
@_setting("--min-items", int, "Items before the exam may decide")
@click.option("--max-items", type=int, default=None,
              help="Items after which the cut decides [default: the course's; without a "
                   "course, the fewest that keep alpha and beta].")
@click.option("--cut", type=float, default=None,
              help="Share of right answers that passes at max items [default: the course's, "
                   "else where the likelihood ratio is even].")
@click.option("--accuracy", "accuracies", type=float, multiple=True,
              help="A true accuracy to show (repeat it) [default: 0.50 to 1.00 by 0.05, with "
                   "p0 and p1].")
def characteristics_command(slug: str | None, accuracies: tuple[float, ...],
                            **options: Any) -> None:
    """Print a sequential exam's exact operating characteristics and fixed-length equivalent:
    the course SLUG's sequential settings (whatever its mode), any option overriding them, or
    without SLUG the options over the defaults."""
    given = {name: value for name, value in options.items() if value is not None}
    if slug is not None:
        base = _course_settings(slug)
        rules, truncation = _sequential_rules({**base, **given}, choose=False)
    else:
        rules, truncation = _sequential_rules(
            {**{name: getattr(DEFAULT_RULES, name) for name in OPTION_NAMES},
             "max_items": None, **given}, choose="max_items" not in given)
    click.echo(f"Sequential exam: p0 {rules.p0:.2f}, p1 {rules.p1:.2f}, alpha {rules.alpha:.3f}, "
               f"beta {rules.beta:.3f}; {rules.min_items} to {rules.max_items} items, at "
               f"{rules.max_items} a pass needs {rules.cut_share:.1%} right.")
    if truncation is not None:
        click.echo(_truncation_line(truncation))
    grid = accuracies or sorted({*np.round(np.arange(0.5, 1.0001, 0.05), 2), rules.p0, rules.p1})
    click.echo(f"{'accuracy':>8}  {'pass probability':>16}  {'expected items':>14}  "
               f"{'95th percentile items':>21}")
    for row in sequential.characteristics(rules, grid):
        click.echo(f"{row.accuracy:>8.3f}  {row.pass_probability:>16.4f}  "
                   f"{row.expected_items:>14.1f}  {row.items_p95:>21d}")
    click.echo(_fixed_line(rules))
    if slug is not None:
        problem = operating.truncation_problem(rules)
        click.echo(problem if problem else "Stopping at the most items keeps both error rates.")


def _course_settings(slug: str) -> dict[str, Any]:
    """The course's sequential settings as options; says first what its exam mode is."""
    from flask import current_app
    from flask.cli import ScriptInfo

    from courses.services import catalog
    from exams.services import settings as exam_settings

    context = click.get_current_context()
    if not current_app:
        context.with_resource(context.ensure_object(ScriptInfo).load_app().app_context())
    course = catalog.find_course(slug)
    if course is None:
        raise click.BadParameter(f"no course has the slug {slug!r}", param_hint="SLUG")
    rules = exam_settings.rules_of(exam_settings.settings_for(course))
    if rules.is_sequential:
        click.echo(f"{course.title} ({slug}) has a sequential exam; its settings, with any "
                   f"options given:")
    else:
        click.echo(f"{course.title} ({slug}) has a fixed-length exam ({rules.item_count} items, "
                   f"pass mark {percent(rules.pass_mark)}); what its sequential settings, with "
                   f"any options given, would give:")
    return {name: getattr(rules, f"sequential_{name}") for name in OPTION_NAMES}


def _sequential_rules(options: dict[str, Any], *, choose: bool
                      ) -> tuple[sequential.SequentialRules, sequential.Truncation | None]:
    """The rules the options give, with max_items chosen when `choose`; errors as usage."""
    try:
        rules = sequential.SequentialRules(
            **dict(options, max_items=sequential.MAX_ITEMS_CAP if choose
                   else options["max_items"]))
        if not choose:
            return rules, None
        truncation = sequential.choose_max_items(rules)
    except sequential.RulesError as error:
        raise click.BadParameter(error.reason,
                                 param_hint=f"--{error.field.replace('_', '-')}") from error
    return truncation.rules, truncation


def _truncation_line(truncation: sequential.Truncation) -> str:
    return (f"Max items {truncation.rules.max_items} is the fewest that keeps the error rates: "
            f"alpha {truncation.alpha:.4f}, beta {truncation.beta:.4f} (nominal "
            f"{truncation.nominal_alpha:.4f}, {truncation.nominal_beta:.4f}; without a maximum "
            f"{truncation.untruncated_alpha:.4f}, {truncation.untruncated_beta:.4f}).")


def _fixed_line(rules: sequential.SequentialRules) -> str:
    try:
        fixed = sequential.fixed_equivalent(rules)
    except sequential.RulesError as error:
        return f"Fixed-length equivalent: none ({error.reason})."
    return (f"Fixed-length equivalent: {fixed.items} items, passed with {fixed.cut} right "
            f"(pass rate {fixed.pass_rate_p0:.4f} at p0, {fixed.pass_rate_p1:.4f} at p1).")
