"""Test helpers for the reseller tests: Asset records, a simulator seed that holds exactly them, and views of
the simulator's request log and of the requests as the client sent them.

Not a test module; the test files and the conftest of this folder import it by name (pytest puts the folder on
sys.path). The server is the real simulator (tests/simulator, in-process through tests/utils/inprocess.py).
"""
from __future__ import annotations

import decimal
import functools
import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import httpx

from tests.simulator import DEFAULT_SEED
from tests.simulator.reseller import camel_case, encode_json

TOKEN_PATH = "/api/v1/connect/token"
ASSETS_PATH = "/api/v1/assets/"
LIST_ROUTE = "/api/v1/assets"
TAG_KEYS = ("CostCenter", "Department", "Project", "Custom", "Owner")
INVOICE_PROFILES = [{"Id": 11, "Name": "Default profile"}, {"Id": 12, "Name": "Second profile"}]


def dumps(value: Any) -> str:
    """Compact JSON with decimal.Decimal written digit for digit (the simulator's writer, not the collection's)."""
    return encode_json(value).decode("utf-8")


def loads(content: Any) -> Any:
    return json.loads(content, parse_float=decimal.Decimal)


camel = camel_case  # the same JSON with camelCase keys (some deployments answer so)


def asset(asset_id: int, **fields: Any) -> Dict[str, Any]:
    """A full Asset in the API's PascalCase, in the API's field order; ``fields`` override (PascalCase keys)."""
    record: Dict[str, Any] = {
        "InvoiceProfile": {"Id": 11, "Name": "Default profile"},
        "Id": asset_id,
        "Status": 2,
        "ExternalOrderId": "ORD-{0}".format(asset_id),
        "Quantity": 5,
        "ExternalProductId": "PROD-1",
        "ExternalSkuId": "SKU-{0}".format(asset_id),
        "Name": "Asset {0}".format(asset_id),
        "StartDate": "2023-06-10T08:20:30.123",
        "ExpirationDate": None,
        "ResellerCustomerId": 501,
        "Scope": 2,
        "AssetType": 2,
        "BillingCycle": 2,
        "PublisherId": 2,
        "ProgramId": 7,
        "ReservationId": None,
        "ReservationUsedInSubscriptionId": None,
        "ReservationUsedInSubscription": None,
        "PurchaseCurrency": "EUR",
        "PurchasePrice": decimal.Decimal("1234.567890123456789012345"),
        "SalesCurrency": "NOK",
        "SalesPrice": decimal.Decimal("0.1"),
        "CreatedDate": "2023-06-10T08:20:30.123",
        "ModifiedDate": "2023-07-01T00:00:00",
        "ChangedBy": "someone@example.test",
        "ReservedInstanceArtifactResourceId": None,
        "PurchaseDate": "2023-06-10T08:20:30",
        "Tags": None,
        "AutoRenewEnabled": True,
        "ProductVariantId": 9001,
    }
    record.update(fields)
    return record


def tags(asset_id: int, **values: Optional[str]) -> Dict[str, Any]:
    return dict({"AssetId": asset_id}, **{key: values.get(key) for key in TAG_KEYS})


@functools.lru_cache(maxsize=None)
def _default_logins() -> str:
    """The default seed's clients, users, static token and token lifetime (as JSON: the cache hands out copies)."""
    base = json.loads(DEFAULT_SEED.read_text(encoding="utf-8"))["reseller"]
    return json.dumps({key: base[key] for key in ("clients", "users", "staticTokens", "tokenSeconds")})


def write_seed(path: Path, assets: Sequence[Dict[str, Any]]) -> Path:
    """A simulator seed whose reseller half holds exactly ``assets`` (in this order) and invoice profiles 11 and 12,
    with the default seed's clients, users and static token; no Apple locations."""
    section = json.loads(_default_logins())
    section.update(invoiceProfiles=INVOICE_PROFILES, assets=list(assets))
    path.write_bytes(encode_json({"reseller": section}))
    return path


# -- what the server saw (its request log) ---------------------------------------------------------


def entries(sim: Any, method: Optional[str] = None, route: Optional[str] = None) -> List[Dict[str, Any]]:
    """Log entries, optionally of one method and one route (``/api/v1/assets``, ``/api/v1/assets/{id}``, ...)."""
    return [entry for entry in sim.log() if (method is None or entry["method"] == method) and (route is None or entry["route"] == route)]


def logins(sim: Any) -> List[Dict[str, Any]]:
    return entries(sim, "POST", TOKEN_PATH)


def asset_writes(sim: Any) -> List[Dict[str, Any]]:
    """The writes to assets and tags (not the logins)."""
    return [entry for entry in sim.writes() if entry["path"] != TOKEN_PATH]


def calls(sim: Any) -> List[tuple]:
    return [(entry["method"], entry["path"]) for entry in sim.log()]


def param(entry: Dict[str, Any], name: str) -> List[str]:
    """Every value of one query parameter of a log entry (the log keeps a repeated key as a list)."""
    value = entry["query"].get(name)
    return [] if value is None else value if isinstance(value, list) else [value]


# -- what the client sent (headers and raw bodies, which the log leaves out or parses) ---------------


def sent(sim: Any, method: Optional[str] = None, path: Optional[str] = None) -> List[httpx.Request]:
    return [request for request in sim.sent() if (method is None or request.method == method) and (path is None or request.url.path == path)]


def auth(request: httpx.Request) -> Optional[str]:
    return request.headers.get("authorization")
