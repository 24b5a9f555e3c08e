"""/_sim/reseller/issued-tokens: every access token handed out since the seed was loaded (secret-hygiene tests)."""
from __future__ import annotations

from tests.simulator.tests.test_reseller import basic, new_token


def test_issued_tokens_lists_every_token_until_reset(client) -> None:
    assert client.get("/_sim/reseller/issued-tokens").json() == {"tokens": []}
    first = new_token(client)
    assert client.post("/_sim/reseller/expire-tokens").json() == {"expired": 1}
    second = new_token(client)
    assert client.get("/_sim/reseller/issued-tokens").json() == {"tokens": [first, second]}, "expired ones stay listed"
    client.post("/_sim/reset")
    assert client.get("/_sim/reseller/issued-tokens").json() == {"tokens": []}


def test_refused_logins_issue_nothing(client) -> None:
    response = client.post("/api/v1/connect/token", data={"grant_type": "password", "username": "nobody", "password": "x",
                                                          "scope": "CustomerApi"}, headers=basic())
    assert response.status_code == 400
    assert client.get("/_sim/reseller/issued-tokens").json() == {"tokens": []}
