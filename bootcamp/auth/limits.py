"""Rate limits for log-in and sign-up: per client address and per account."""

from __future__ import annotations

from flask import current_app, g, request

from bootcamp.extensions import limiter
from bootcamp.users.services import normalise_email


def _account_key() -> str:
    return "account:" + normalise_email(request.form.get("email", ""))


def _failed_login(response) -> bool:
    return bool(g.get("login_failed"))


def _config(name: str):
    return lambda: current_app.config[name]


login_per_ip = limiter.limit(_config("LOGIN_LIMIT_PER_IP"), methods=["POST"], scope="login-ip")
# Only failed attempts count against an account, so its owner is not locked out by success.
login_per_account = limiter.limit(
    _config("LOGIN_LIMIT_PER_ACCOUNT"),
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed_login,
    scope="login-account",
)
signup_per_ip = limiter.limit(_config("SIGNUP_LIMIT_PER_IP"), methods=["POST"], scope="signup-ip")
