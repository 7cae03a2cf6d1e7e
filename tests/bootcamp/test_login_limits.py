"""Failed log-ins are limited without letting a stranger lock the owner out (device cookies)."""

from __future__ import annotations

from bootcamp.auth.limits import DEVICE_COOKIE
from tests.helpers import csrf_token, log_in

OWNER_ADDRESS = "198.51.100.7"
ATTACKER_ADDRESS = "203.0.113.9"
WRONG = "guess guess guess"


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def owners_device(app, email: str):
    """The owner's browser: it logged in once (so it has a device cookie) and logged out."""
    device = client_at(app, OWNER_ADDRESS)
    assert log_in(device, email).status_code == 302
    device.post("/auth/logout", data={"csrf_token": csrf_token(device, "/dashboard")})
    assert device.get("/dashboard").status_code == 302
    return device


def fail_until_refused(client, email: str, attempts: int = 15) -> list[int]:
    return [log_in(client, email, WRONG).status_code for _ in range(attempts)]


def test_a_stranger_elsewhere_cannot_lock_the_owner_out(app, make_user):
    user = make_user()
    device = owners_device(app, user.email)
    attacker = client_at(app, ATTACKER_ADDRESS)
    statuses = fail_until_refused(attacker, user.email)
    assert statuses[:10] == [200] * 10 and set(statuses[10:]) == {429}  # still limited
    assert log_in(device, user.email).status_code == 302
    # A browser the owner never used, at their own address, gets in as well.
    assert log_in(client_at(app, OWNER_ADDRESS), user.email).status_code == 302


def test_a_stranger_at_the_owners_address_cannot_lock_the_owners_device_out(app, make_user):
    user = make_user()
    device = owners_device(app, user.email)
    attacker = client_at(app, OWNER_ADDRESS)  # same office, no device cookie
    assert set(fail_until_refused(attacker, user.email)[10:]) == {429}
    assert log_in(attacker, user.email).status_code == 429  # even with the right password
    assert log_in(device, user.email).status_code == 302


def test_guessing_from_many_addresses_meets_the_per_account_ceiling(app, make_user):
    app.config["LOGIN_LIMIT_PER_ACCOUNT"] = "5 per hour"
    user = make_user()
    device = owners_device(app, user.email)
    botnet = [client_at(app, f"203.0.113.{n}") for n in range(1, 8)]
    statuses = [log_in(bot, user.email, WRONG).status_code for bot in botnet]
    assert statuses == [200] * 5 + [429] * 2
    assert log_in(device, user.email).status_code == 302  # the owner's device is not counted


def test_failures_on_a_known_device_count_against_that_device_only(app, make_user):
    app.config["LOGIN_LIMIT_PER_DEVICE"] = "3 per 15 minutes"
    user = make_user()
    laptop, phone = owners_device(app, user.email), owners_device(app, user.email)
    assert fail_until_refused(laptop, user.email, 4) == [200, 200, 200, 429]
    assert log_in(laptop, user.email).status_code == 429  # that device waits...
    assert log_in(phone, user.email).status_code == 302  # ...the owner's other one does not
    # Nor are strangers' budgets touched: a new browser still gets its ten tries.
    assert log_in(client_at(app, ATTACKER_ADDRESS), user.email, WRONG).status_code == 200


def test_a_device_cookie_vouches_only_for_its_own_account(app, make_user):
    owner, victim = make_user(), make_user()
    device = owners_device(app, owner.email)
    statuses = fail_until_refused(device, victim.email, 11)
    assert statuses[-1] == 429  # the owner's cookie does not lift the limits on another account


def test_a_forged_device_cookie_is_ignored(app, make_user):
    user = make_user()
    attacker = client_at(app, ATTACKER_ADDRESS)
    attacker.set_cookie(DEVICE_COOKIE, "forged.cookie.value", path="/auth/login")
    assert set(fail_until_refused(attacker, user.email)[10:]) == {429}


def test_the_device_cookie_is_signed_http_only_and_kept_to_log_in(app, make_user):
    user = make_user()
    device = owners_device(app, user.email)
    cookie = device.get_cookie(DEVICE_COOKIE, path="/auth/login")
    assert cookie.http_only and cookie.same_site == "Strict" and cookie.path == "/auth/login"
    assert user.email not in cookie.value
    assert cookie.expires is not None
