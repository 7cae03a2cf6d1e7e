"""Forms for the account pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from bootcamp.users.models import User
from bootcamp.users.passwords import MAX_LENGTH, password_problems


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _acceptable_password(form: FlaskForm, field) -> None:
    """Explain every reason a new password is refused; the form says whose password it is."""
    email, name = form.account_words()
    problems = password_problems(field.data or "", email, name)
    if problems:
        raise ValidationError(" ".join(problems))


class SignupForm(FlaskForm):
    name = StringField("Your name", validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        "Email", validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip]
    )
    password = PasswordField("Password", validators=[DataRequired(), _acceptable_password])
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )

    def account_words(self) -> tuple[str, str]:
        """The email and name a password must not be built from."""
        return self.email.data or "", self.name.data or ""


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], filters=[_strip])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        "Email", validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip]
    )


class ResetPasswordForm(FlaskForm):
    """A new password set through a reset link: no current password, the link stands for it."""

    new_password = PasswordField("New password", validators=[DataRequired(), _acceptable_password])
    confirm = PasswordField(
        "Repeat new password",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="The passwords do not match."),
        ],
    )

    def __init__(self, account: User, **kwargs) -> None:
        super().__init__(**kwargs)
        self.account = account  # whose password changes: it must not be built from their name

    def account_words(self) -> tuple[str, str]:
        """The email and name a password must not be built from."""
        return self.account.email, self.account.name


class ChangePasswordForm(ResetPasswordForm):
    """A new password set while logged in: the current one proves it is the account's owner."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
