"""Forms for the admin pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from bootcamp.api.models import SCOPES
from bootcamp.forms import ActionForm
from bootcamp.outbox import EVENT_TYPES
from bootcamp.users.models import Role

# What each scope lets a platform do, in an admin's words.
SCOPE_LABELS = {
    "qualifications:read": "Read qualifications: ask who is qualified for which course",
    "workers:write": "Link workers: create or link trainees under the platform's worker ids",
    "webhooks:manage": "Manage webhooks: add, change and remove its own webhooks",
    "events:read": "Read events: replay the feed of qualification and manual events",
}
# What each event tells a platform, in an admin's words.
EVENT_LABELS = {
    "qualification.granted": "A worker qualified",
    "qualification.needs_refresh": "A worker must take a refresh exam (the manual changed)",
    "qualification.expired": "A qualification expired",
    "qualification.revoked": "Staff revoked a qualification",
    "qualification.reinstated": "Staff reinstated a qualification",
    "qualification.failed": "A worker used every exam attempt without passing",
    "qualification.score_changed": "A regrade changed a worker's score",
    "manual.published": "A new manual version was published",
    "trainee.dropped": "A trainee left a course unqualified (inactive or withdrew)",
}


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role.value, role.label) for role in Role])


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of labelled checkboxes (any number may be ticked)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ClientForm(FlaskForm):
    name = StringField("Platform name", validators=[DataRequired(), Length(max=120)])


class TokenForm(FlaskForm):
    name = StringField("Token name (optional)", validators=[Length(max=120)])
    scopes = CheckboxesField("What the token may do",
                             choices=[SelectChoice(scope, SCOPE_LABELS[scope]) for scope in SCOPES],
                             validators=[DataRequired("Tick at least one thing the token may do.")])


class WebhookForm(FlaskForm):
    url = URLField("Address (URL) that receives the events",
                   validators=[DataRequired(), Length(max=2048),
                               URL(require_tld=False, message="Give an http:// or https:// "
                                                               "address.")])
    event_types = CheckboxesField("Events to send",
                                  choices=[SelectChoice(kind, EVENT_LABELS[kind])
                                           for kind in EVENT_TYPES])


class WebhookActionForm(ActionForm):
    """A button on a webhook; `back` says which page to return to (its platform's or its own)."""

    back = HiddenField(default="webhook")


class WebhookEnabledForm(WebhookActionForm):
    enabled = HiddenField()


class ConfirmForm(ActionForm):
    """The button of a confirmation page; a post without `confirm` only asks again."""

    confirm = HiddenField()
