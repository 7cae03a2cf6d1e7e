"""The instructor's exam settings page: the rules of a course's exam and its pool's health."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from bootcamp.extensions import db
from bootcamp.users.access import staff_required
from courses.services import manuals
from courses.views.access import editable_course
from exams.forms import ExamSettingsForm, parse_quotas, quotas_text
from exams.services import settings as exam_settings
from exams.views import bp


def _fill(form: ExamSettingsForm, stored, sections: dict[str, str]) -> None:
    form.item_count.data = stored.item_count
    form.quotas.data = quotas_text(stored.quotas, list(sections))
    form.shuffle.data = stored.shuffle
    form.pass_mark.data = round(stored.pass_mark * 100, 4)
    form.critical_rule.data = stored.critical_rule
    form.result_detail.data = str(stored.result_detail)
    form.time_limit_minutes.data = (stored.time_limit_seconds // 60
                                    if stored.time_limit_seconds else None)
    form.attempts_allowed.data = stored.attempts_allowed
    form.retry_delay_hours.data = round(stored.retry_delay_seconds / 3600, 4)
    form.validity_days.data = stored.validity_days
    form.refresh_item_count.data = stored.refresh_item_count
    form.refresh_grace_days.data = stored.refresh_grace_days


def _rules(form: ExamSettingsForm, quotas: dict[str, int]) -> exam_settings.ExamRules:
    minutes = form.time_limit_minutes.data
    return exam_settings.ExamRules(
        item_count=form.item_count.data, quotas=quotas, shuffle=bool(form.shuffle.data),
        pass_mark=round(form.pass_mark.data / 100, 6), critical_rule=bool(form.critical_rule.data),
        time_limit_seconds=minutes * 60 if minutes else None,
        attempts_allowed=form.attempts_allowed.data,
        retry_delay_seconds=round(form.retry_delay_hours.data * 3600),
        validity_days=form.validity_days.data, refresh_item_count=form.refresh_item_count.data,
        refresh_grace_days=form.refresh_grace_days.data, result_detail=form.result_detail.data)


@bp.route("/courses/<slug>/exam/settings", methods=["GET", "POST"])
@staff_required
def settings(slug: str):
    course = editable_course(slug)
    stored = exam_settings.settings_for(course)
    sections = manuals.latest_section_titles(course)
    form = ExamSettingsForm()
    problems: list[str] = []
    if form.is_submitted():
        quotas, quota_problems = parse_quotas(form.quotas.data or "", sections)
        valid = form.validate()
        form.quotas.errors = [*form.quotas.errors, *quota_problems]
        if valid and not quota_problems:
            rules = _rules(form, quotas)
            problems = exam_settings.rule_problems(rules)
            if not problems:
                exam_settings.save_settings(course, rules, current_user)
                db.session.commit()
                flash("Exam settings saved.", "success")
                return redirect(url_for("exams.settings", slug=slug))
    else:
        _fill(form, stored, sections)
    pool = exam_settings.exam_pool(course)
    return render_template(
        "exams/manage_settings.html", course=course, form=form, problems=problems,
        sections=sections, pool_size=len(pool),
        readiness=exam_settings.readiness_problems(course, stored), saved=stored.id is not None,
        in_practice=exam_settings.exam_items_in_practice(course),
        disclosure=exam_settings.disclosure_warnings(stored, len(pool)))
