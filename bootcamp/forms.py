"""Forms every area shares: the one home for a base form, so no package imports another's."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for buttons such as Log out."""
