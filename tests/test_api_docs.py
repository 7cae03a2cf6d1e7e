"""docs/api.md: its signature-verification snippet runs as written, against deliveries signed
the way Bootcamp signs them, and it has a curl example for every API route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from standardwebhooks import Webhook

from bootcamp.api.webhooks import new_secret

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def snippet_namespace() -> dict:
    """Run the Python block under "## Verifying a delivery"; its names."""
    section = API_DOC.read_text(encoding="utf-8").split("## Verifying a delivery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    namespace: dict = {}
    exec(compile(code, str(API_DOC), "exec"), namespace)  # noqa: S102  (our own docs)
    return namespace


def delivery(secrets: list[str], body: bytes, event_id: str = "evt_1",
             at: datetime | None = None) -> dict[str, str]:
    """Headers as the delivery worker sends them: one signature per valid secret."""
    at = at or datetime.now(UTC)
    return {"webhook-id": event_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(Webhook(s).sign(event_id, at, body) for s in secrets)}


def test_the_verification_snippet_accepts_signed_deliveries_once_and_refuses_forgeries(capsys):
    receive = snippet_namespace()["receive"]
    secret, old = new_secret(), new_secret()
    body = (b'{"type":"qualification.granted","timestamp":"2026-12-07T09:30:00Z",'
            b'"data":{"external_id":"worker-42","course":"clothing-tagging","sequence":1}}')
    seen: set[str] = set()
    assert receive(secret, body, delivery([secret], body), seen) == 200
    assert "qualified: worker-42 clothing-tagging" in capsys.readouterr().out
    assert receive(secret, body, delivery([secret], body), seen) == 200  # a retry
    assert capsys.readouterr().out == "" and seen == {"evt_1"}
    # During a rotation both signatures come; a receiver with either secret accepts.
    both = delivery([secret, old], body, "evt_2")
    assert receive(secret, body, both, set()) == 200
    assert receive(old, body, both, set()) == 200
    capsys.readouterr()
    assert receive(new_secret(), body, delivery([secret], body), set()) == 400
    assert receive(secret, body.replace(b"42", b"43"), delivery([secret], body), set()) == 400
    stale = delivery([secret], body, at=datetime.now(UTC) - timedelta(hours=1))
    assert receive(secret, body, stale, set()) == 400
    assert capsys.readouterr().out == ""


def test_every_api_route_has_an_example(app):
    text = API_DOC.read_text(encoding="utf-8")
    examples = [match.split("?")[0]
                for match in re.findall(r"\$BOOTCAMP(/api/v1/[^\s\"'`]*)", text)]
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            pattern = re.sub(r"<(?:\w+:)?\w+>", "[^/]+", rule.rule)
            if not any(re.fullmatch(pattern, example) for example in examples):
                missing.append(rule.rule)
    assert missing == []
