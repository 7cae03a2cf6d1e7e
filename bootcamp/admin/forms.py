"""Forms for the admin pages."""

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from bootcamp.users.models import Role


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(role.value, role.label) for role in Role])
