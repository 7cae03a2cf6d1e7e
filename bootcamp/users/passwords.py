"""Password hashing with Argon2id and the rules for new passwords; no Flask, no database."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 10
MAX_LENGTH = 256  # long enough for passphrases, short enough to bound hashing cost
# zxcvbn's score 3 means at least 10^8 guesses: far beyond what the log-in limits allow online,
# and costly offline against Argon2id. Score 2 (10^6) still lets "Welcome@2024" in.
MIN_STRENGTH = 3
STRENGTH_CHECKED_LENGTH = 72  # zxcvbn's limit: its cost grows quickly with length
SITE_WORDS = ("bootcamp", "training", "annotation", "qualify")
# zxcvbn keeps the user's words in a module-level dictionary while it scores: one at a time.
_zxcvbn_lock = threading.Lock()

# RFC 9106's second recommended setting: Argon2id, 64 MiB, 3 passes (above OWASP's minimum).
HASH_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(HASH_PARAMETERS)
# Verifying against this when an account does not exist keeps login timing uniform.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Return an Argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; with no hash, still spend the time a real check would take."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, email: str = "", name: str = "") -> list[str]:
    """Explain why a new password is not acceptable (empty when it is)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("Do not use your email address as your password.")
    if password and len(set(password)) < 4:
        problems.append("Use more than three different characters.")
    if not problems:
        problems += _guessability_problems(password, email, name)
    return problems


def _guessability_problems(password: str, email: str, name: str) -> list[str]:
    """Refuse common and guessable passwords (OWASP ASVS 2.1.7), saying why and what helps."""
    words = [*SITE_WORDS, email, email.split("@")[0], name, *name.split(), "".join(name.split())]
    with _zxcvbn_lock:
        verdict = zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=[w for w in words if w])
    if verdict["score"] >= MIN_STRENGTH:
        return []
    feedback = verdict["feedback"]
    personal = any(match.get("dictionary_name") == "user_inputs" for match in verdict["sequence"])
    reason = feedback["warning"] or (
        "It contains your name, your email address or this site's name." if personal
        else "This password is easy to guess.")
    advice = feedback["suggestions"] or ["Add another word or two. Uncommon words are better."]
    return [" ".join([reason, *advice])]
