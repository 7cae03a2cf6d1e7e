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

from exams import sequential

DEFAULT_RULES = sequential.SequentialRules()

exams_cli = AppGroup("exams", help="Exam housekeeping.")


@exams_cli.command("sweep")
def sweep_command() -> None:
    """Grade open attempts whose deadline passed; expire qualifications that lapsed."""
    from exams.views.sweep import sweep

    closed, expired = sweep()
    click.echo(f"Closed {closed} expired attempt(s); expired {expired} qualification(s).")


@exams_cli.command("characteristics", with_appcontext=False)
@click.argument("slug", required=False)
@click.option("--p0", type=float, default=DEFAULT_RULES.p0, show_default=True,
              help="Fail level: the accuracy the exam should fail.")
@click.option("--p1", type=float, default=DEFAULT_RULES.p1, show_default=True,
              help="Pass level: the accuracy the exam should pass.")
@click.option("--alpha", type=float, default=DEFAULT_RULES.alpha, show_default=True,
              help="Highest pass rate wanted at p0.")
@click.option("--beta", type=float, default=DEFAULT_RULES.beta, show_default=True,
              help="Highest fail rate wanted at p1.")
@click.option("--min-items", type=int, default=DEFAULT_RULES.min_items, show_default=True)
@click.option("--max-items", type=int, default=None,
              help="Items after which the cut decides [default: the fewest that keep alpha "
                   "and beta].")
@click.option("--cut", type=float, default=None,
              help="Share of right answers that passes at max items [default: where the "
                   "likelihood ratio is even].")
@click.option("--accuracy", "accuracies", type=float, multiple=True,
              help="A true accuracy to show (repeat it) [default: 0.50 to 1.00 by 0.05, with "
                   "p0 and p1].")
def characteristics_command(slug: str | None, accuracies: tuple[float, ...],
                            **options: Any) -> None:
    """Print a sequential exam's exact operating characteristics and fixed-length equivalent."""
    if slug is not None:
        raise click.UsageError("Course exam settings have no sequential mode yet: give the "
                               "test as options (--p0, --p1, --alpha, --beta, ...).")
    rules, truncation = _sequential_rules(options)
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


def _sequential_rules(options: dict[str, Any]
                      ) -> tuple[sequential.SequentialRules, sequential.Truncation | None]:
    """The rules the options give, with max_items chosen when not given; errors as usage."""
    chosen = options["max_items"] is None
    try:
        rules = sequential.SequentialRules(
            **dict(options, max_items=sequential.MAX_ITEMS_CAP if chosen else options["max_items"]))
        if not chosen:
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
