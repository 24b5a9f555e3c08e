"""Helpers for the simulator's own tests."""
from __future__ import annotations

import time
from typing import Any


class Vpp:
    """Calls /mdm/v2 as one location, through a TestClient or an httpx.Client."""

    def __init__(self, client: Any, tokens: dict[str, str], location: str = "Main", prefix: str = "/mdm/v2") -> None:
        self.client = client
        self.tokens = tokens
        self.location = location
        self.prefix = prefix

    def as_location(self, location: str) -> Vpp:
        return Vpp(self.client, self.tokens, location, self.prefix)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[self.location]}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(self.prefix + path, params=params, headers=self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(self.prefix + path, json=body, headers=self.headers)

    def submit(self, path: str, body: dict[str, Any]) -> str:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        return response.json()["eventId"]

    def wait(self, event_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Poll /status until the event is no longer PENDING."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.get("/status", eventId=event_id).json()
            if status["eventStatus"] != "PENDING" or time.monotonic() > deadline:
                return status
            time.sleep(0.02)

    def run(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Submit a write and wait for its event."""
        return self.wait(self.submit(path, body))

    def walk(self, path: str, key: str, **params: Any) -> list[Any]:
        """Every item of a paged read, following nextPageIndex."""
        items: list[Any] = []
        page = self.get(path, **params).json()
        items += page[key]
        while "nextPageIndex" in page:
            page = self.get(path, **params, pageIndex=page["nextPageIndex"]).json()
            items += page[key]
        return items


def state_of(client: Any, location: str = "Main") -> dict[str, Any]:
    locations = client.get("/_sim/state").json()["vpp"]["locations"]
    return next(entry for entry in locations if entry["name"] == location)


def asset_of(client: Any, adam_id: str, pricing_param: str = "STDQ", location: str = "Main") -> dict[str, Any]:
    return next(asset for asset in state_of(client, location)["assets"] if (asset["adamId"], asset["pricingParam"]) == (adam_id, pricing_param))
