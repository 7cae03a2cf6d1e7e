"""Configuration read from the environment, with safe defaults for a single machine."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Locate a top-level resource folder (templates, migrations) in a checkout or in a wheel.

    In a source checkout the folders sit beside the package; the wheel carries them inside it.
    """
    bundled = PACKAGE_DIR / name
    return bundled if bundled.is_dir() else PACKAGE_DIR.parent / name


def database_url(instance_path: str) -> str:
    """Return DATABASE_URL (normalised to the psycopg 3 driver) or the instance SQLite file."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite:///" + str(Path(instance_path) / "bootcamp.sqlite3")
    return normalise_database_url(url)


def normalise_database_url(url: str) -> str:
    """Map the common postgres:// spellings onto SQLAlchemy's psycopg 3 dialect."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def secret_key(instance_path: str) -> str:
    """Return SECRET_KEY from the environment, else one generated once and kept on disk."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        candidate = secrets.token_hex(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(candidate)
    return path.read_text().strip()


def _positive_int(name: str, default: int) -> int:
    """A whole number >= 1 from the environment; a clear error names the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def mail_config(instance_path: str) -> dict:
    """SMTP settings for Flask-Mailman. Without MAIL_SERVER, mail is printed and kept as
    .eml files in MAIL_OUTBOX_DIR (tests keep it in memory): see bootcamp/mail.py."""
    use_ssl = _flag("MAIL_USE_SSL")
    return {
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "").strip(),
        "MAIL_PORT": _positive_int("MAIL_PORT", 465 if use_ssl else 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", "").strip() or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": use_ssl,
        "MAIL_TIMEOUT": _positive_int("MAIL_TIMEOUT", 10),  # seconds; a request waits this long
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "").strip()
        or "Bootcamp <bootcamp@localhost>",
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", "").strip()
        or str(Path(instance_path) / "outbox"),
        # Where links in mail start. Without it: the request's host (which a forged Host
        # header chooses: set it in production), or localhost:5000 outside a request.
        "BASE_URL": os.environ.get("BOOTCAMP_BASE_URL", "").strip().rstrip("/") or None,
    }


def load_config(instance_path: str) -> dict:
    """Build the configuration mapping for a new application."""
    redis_url = os.environ.get("REDIS_URL", "").strip() or None
    secure_cookies = os.environ.get("BOOTCAMP_SECURE_COOKIES", "").lower() in {"1", "true", "yes"}
    return {
        "SECRET_KEY": secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        # No pre-ping (an empty query at each checkout, a round trip every request pays): a
        # checkout listener (bootcamp/extensions.py) finds a connection the server dropped (a
        # restart, an idle timeout) by polling its socket, and pings only one that sat idle,
        # so no request fails on a dead connection after a database restart.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False},
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        # If Redis goes away, keep limiting per process rather than failing every log-in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": bool(redis_url),
        # Per-address limits stay generous: a whole cohort often shares one office address.
        "LOGIN_LIMIT_PER_IP": os.environ.get("BOOTCAMP_LOGIN_LIMIT_PER_IP", "60 per minute"),
        # Failed log-ins (see bootcamp/auth/limits.py): from a device the account logged in on
        # before, per device; from any other client, per account and address, and all such
        # clients together per account (loose: it stops a botnet, not the owner's devices).
        "LOGIN_LIMIT_PER_DEVICE": os.environ.get(
            "BOOTCAMP_LOGIN_LIMIT_PER_DEVICE", "10 per 15 minutes"
        ),
        "LOGIN_LIMIT_PER_ACCOUNT_AND_IP": os.environ.get(
            "BOOTCAMP_LOGIN_LIMIT_PER_ACCOUNT_AND_IP", "10 per 15 minutes"
        ),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get(
            "BOOTCAMP_LOGIN_LIMIT_PER_ACCOUNT", "100 per hour"
        ),
        # Each API token's requests, together across processes when Redis is configured.
        "API_LIMIT_PER_TOKEN": os.environ.get("BOOTCAMP_API_LIMIT_PER_TOKEN",
                                              "6000 per minute"),
        # How long a process trusts a token it checked (None: bootcamp.api.auth's default).
        "API_TOKEN_CACHE_SECONDS": float(os.environ["BOOTCAMP_API_TOKEN_CACHE_SECONDS"])
        if os.environ.get("BOOTCAMP_API_TOKEN_CACHE_SECONDS", "").strip() else None,
        # Webhooks to private, loopback and link-local addresses (a receiver on this host).
        "WEBHOOK_ALLOW_PRIVATE": os.environ.get("BOOTCAMP_WEBHOOK_ALLOW_PRIVATE", "").lower()
        in {"1", "true", "yes"},
        "SIGNUP_LIMIT_PER_IP": os.environ.get("BOOTCAMP_SIGNUP_LIMIT_PER_IP", "100 per hour"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": timedelta(days=14),  # also the longest a log-in lasts
        # ...so the cookie keeps the expiry it got at log-in: re-signing it on every answer
        # would only move a date the server-side session (bootcamp/users/sessions.py) overrules.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_IDLE_MINUTES": _positive_int("BOOTCAMP_SESSION_IDLE_MINUTES", 30),
        "HSTS_ENABLED": secure_cookies,
        "PROXY_HOPS": int(os.environ.get("BOOTCAMP_PROXY_HOPS", "0") or 0),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
        # Pages and JSON compressed by the app (Flask-Compress; static files come compressed
        # already, from WhiteNoise): Brotli where the browser takes it, else gzip. At fast
        # levels: on a 43-page manual's 265 KB page, Brotli 1 makes 53.6 KB in 0.7 ms where
        # the default 4 made 50.8 KB in 2.3 ms, and gzip 3 53 KB in 3 ms where 6 took 6.6 ms.
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_BR_LEVEL": 1,
        "COMPRESS_LEVEL": 3,
        "COMPRESS_MIMETYPES": ["text/html", "text/plain", "text/csv", "application/json",
                               "application/problem+json", "image/svg+xml"],
        "FORGOT_LIMIT_PER_IP": os.environ.get("BOOTCAMP_FORGOT_LIMIT_PER_IP", "20 per hour"),
        # Per address: nobody can fill a stranger's inbox with password links.
        "MAIL_LIMIT_PER_ADDRESS": os.environ.get("BOOTCAMP_MAIL_LIMIT_PER_ADDRESS",
                                                 "5 per hour"),
        **mail_config(instance_path),
    }
