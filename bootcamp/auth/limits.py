"""Rate limits for log-in, sign-up and password-link mail, and the device cookie that keeps
owners from lock-out.

Failed log-ins are limited without letting a stranger lock an account's owner out (OWASP's
device-cookie pattern): a successful log-in leaves a signed, HttpOnly device cookie naming the
account. Failed attempts from a client whose cookie names the posted account count against
that device only; attempts from any other client count per (account, client address), and all
of them together against a looser per-account ceiling, so a botnet cannot guess forever while
the owner still logs in from any device they used before. Counts live in REDIS_URL's Redis;
without it each worker process counts on its own (see the README).
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Response, current_app, g, request, url_for
from flask_limiter.util import get_remote_address
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bootcamp.extensions import limiter
from bootcamp.users.services import normalise_email

DEVICE_COOKIE = "bootcamp_device"
DEVICE_COOKIE_DAYS = 365
MAX_DEVICE_ACCOUNTS = 5  # accounts one browser is remembered for (a shared family computer)
MAX_COOKIE_LENGTH = 2048
MAX_EMAIL_LENGTH = 254


def _posted_account() -> str:
    return normalise_email(request.form.get("email", ""))[:MAX_EMAIL_LENGTH]


def _digest(account: str) -> str:
    """The cookie names an account by a digest, so reading it does not reveal the address."""
    return hashlib.sha256(account.encode()).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="device-cookie")


def _device_entries() -> list[tuple[str, str]]:
    """(account digest, device id) pairs from a valid device cookie; [] for anything else."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if not raw or len(raw) > MAX_COOKIE_LENGTH:
        return []
    try:
        entries = _serializer().loads(raw, max_age=DEVICE_COOKIE_DAYS * 24 * 3600)
    except BadSignature:  # forged, altered or expired
        return []
    if not isinstance(entries, list):
        return []
    return [(entry[0], entry[1]) for entry in entries[:MAX_DEVICE_ACCOUNTS]
            if isinstance(entry, list) and len(entry) == 2
            and all(isinstance(part, str) for part in entry)]


def trusted_device() -> str | None:
    """This device's id when it logged in to the posted account before; else None."""
    if "trusted_device" not in g:
        account = _digest(_posted_account())
        g.trusted_device = next(
            (device for digest, device in _device_entries() if digest == account), None)
    return g.trusted_device


def remember_device(response: Response, email: str) -> None:
    """After a successful log-in: a new device id for this account, in a year-long cookie."""
    account = _digest(normalise_email(email))
    others = [list(entry) for entry in _device_entries() if entry[0] != account]
    entries = [[account, secrets.token_urlsafe(16)], *others][:MAX_DEVICE_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps(entries), max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
        path=url_for("auth.login"), secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True, samesite="Strict")


def _trusted() -> bool:
    return trusted_device() is not None


def _untrusted() -> bool:
    return trusted_device() is None


def _device_key() -> str:
    return "device:" + (trusted_device() or "")


def _account_and_address_key() -> str:
    return f"account-ip:{_posted_account()}|{get_remote_address()}"


def _account_key() -> str:
    return "account:" + _posted_account()


def _failed_login(response) -> bool:
    return bool(g.get("login_failed"))


def _config(name: str):
    return lambda: current_app.config[name]


def _failed_logins(setting: str, key_func, exempt_when, scope: str):
    """Only failed attempts count, so an owner who logs in never uses up their own limit."""
    return limiter.limit(_config(setting), key_func=key_func, exempt_when=exempt_when,
                         deduct_when=_failed_login, methods=["POST"], scope=scope)


# A known device is not slowed by others sharing its address (a cohort behind one office NAT).
login_per_ip = limiter.limit(_config("LOGIN_LIMIT_PER_IP"), exempt_when=_trusted,
                             methods=["POST"], scope="login-ip")
login_per_device = _failed_logins("LOGIN_LIMIT_PER_DEVICE", _device_key, _untrusted,
                                  "login-device")
login_per_account_and_ip = _failed_logins("LOGIN_LIMIT_PER_ACCOUNT_AND_IP",
                                          _account_and_address_key, _trusted, "login-account-ip")
login_per_account = _failed_logins("LOGIN_LIMIT_PER_ACCOUNT", _account_key, _trusted,
                                   "login-account")
signup_per_ip = limiter.limit(_config("SIGNUP_LIMIT_PER_IP"), methods=["POST"], scope="signup-ip")
# "Forgot password": per client address, and per posted address so nobody can fill a
# stranger's inbox (both count every request, whether or not the address has an account).
forgot_per_ip = limiter.limit(_config("FORGOT_LIMIT_PER_IP"), methods=["POST"],
                              scope="forgot-ip")
forgot_per_account = limiter.limit(_config("MAIL_LIMIT_PER_ADDRESS"), key_func=_account_key,
                                   methods=["POST"], scope="forgot-account")
# A sign-up with a taken address mails its owner: only those count, per address.
signup_mail_per_account = limiter.limit(
    _config("MAIL_LIMIT_PER_ADDRESS"), key_func=_account_key, methods=["POST"],
    deduct_when=lambda response: bool(g.get("mail_sent")), scope="signup-account")
