"""Password hashing and the password rules."""

import pytest

from bootcamp.demo import demo_password
from bootcamp.users.passwords import (
    HASH_PARAMETERS,
    hash_password,
    password_problems,
    verify_password,
)


def test_production_parameters_meet_owasp_guidance():
    # OWASP: Argon2id with at least 19 MiB of memory and 2 passes.
    assert HASH_PARAMETERS.type.name == "ID"
    assert HASH_PARAMETERS.memory_cost >= 19 * 1024 and HASH_PARAMETERS.time_cost >= 2


def test_hashes_are_argon2id_salted_and_verifiable():
    first, second = hash_password("correct horse"), hash_password("correct horse")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "correct horse")
    assert not verify_password(first, "Correct horse")


def test_missing_or_corrupt_hashes_never_verify():
    assert not verify_password(None, "not-a-real-password")
    assert not verify_password("garbage", "anything")


def test_password_rules_explain_every_problem():
    assert password_problems("long enough passphrase") == []
    assert password_problems("short") == ["Use at least 10 characters."]
    assert password_problems("aaaaaaaaaaaa") == ["Use more than three different characters."]
    assert "Do not use your email address as your password." in password_problems(
        "me@example.com", "Me@Example.com")
    assert password_problems("x" * 300)[0] == "Use at most 256 characters."


@pytest.mark.parametrize(("password", "reason"), [
    ("password12", "This is a very common password."),
    ("1234567890", "This is a top-100 common password."),
    ("qwertyuiop", "This is a top-100 common password."),
    ("password123!", "This is similar to a commonly used password."),
])
def test_common_and_guessable_passwords_are_refused_saying_why(password, reason):
    [problem] = password_problems(password, "pat@example.com", "Pat Smith")
    assert problem.startswith(reason)
    assert "Add another word or two." in problem  # and what would help


def test_passwords_built_from_the_account_are_refused():
    for password in ("patsmith1990", "pat@example.com!", "bootcamp2024!"):
        [problem] = password_problems(password, "pat@example.com", "Pat Smith")
        assert problem.startswith("It contains your name, your email address or this site's name.")


@pytest.mark.parametrize("password", [
    "correct horse battery", "violet anchor thunder", "Tr0ub4dor&3 walks home",
    "an improbable violet anchor sings beneath a thunderous moon over Reykjavik tonight"])
def test_good_passphrases_are_accepted(password):
    assert password_problems(password, "pat@example.com", "Pat Smith") == []


def test_the_demo_passwords_are_accepted():
    for _ in range(200):
        assert password_problems(demo_password()) == []
