"""Password hashing and the password rules."""

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
