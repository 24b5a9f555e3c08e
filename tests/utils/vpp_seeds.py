"""Seed files for the simulator with one Apple location of a test's own making.

    sim = simulator_factory(write_seed(tmp_path / "seed.json", assets=[asset("100")],
                                       assignments=[assignment("100", serial="S1")]), pageSize=3)

Assets an assignment names but ``assets`` lacks are added (an App with enough licenses), and so are
the users it names; the simulator counts assignedCount and availableCount from the assignments.
The location's sToken is ``make_stoken()`` of tests/utils/stokens.py (``sim.tokens()[LOCATION]``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from tests.utils.stokens import EXPIRES, INNER_TOKEN, ORG_NAME

LOCATION = "Main"
LOCATION_UID = "2049025000431439"
UNLIMITED_TOTAL = 2147483647  # the totalCount Apple reports for free assets


def asset(adam_id: str, pricing: str = "STDQ", product: str = "App", total: int = 10, device_assignable: Optional[bool] = None,
          revocable: Optional[bool] = None, unlimited: bool = False) -> Dict[str, Any]:
    """An asset of the seed; device_assignable and revocable default to the simulator's (Apps yes, Books no)."""
    spec: Dict[str, Any] = {"adamId": adam_id, "pricingParam": pricing, "productType": product}
    if unlimited:
        spec["unlimited"] = True
    else:
        spec["totalCount"] = total
    if device_assignable is not None:
        spec["deviceAssignable"] = device_assignable
    if revocable is not None:
        spec["revocable"] = revocable
    return spec


def assignment(adam_id: str, pricing: str = "STDQ", serial: Optional[str] = None, user: Optional[str] = None) -> Dict[str, Any]:
    record: Dict[str, Any] = {"adamId": adam_id, "pricingParam": pricing}
    if serial is not None:
        record["serialNumber"] = serial
    else:
        record["clientUserId"] = user
    return record


def location_seed(assets: Iterable[Dict[str, Any]] = (), assignments: Iterable[Dict[str, Any]] = (),
                  users: Optional[Iterable[str]] = None) -> Dict[str, Any]:
    """The seed: one location, LOCATION. ``users`` are the registered clientUserIds (besides those assigned)."""
    asset_specs: List[Dict[str, Any]] = [dict(spec) for spec in assets]
    records: List[Dict[str, Any]] = []
    for record in assignments:  # the simulator holds a pair once
        if record not in records:
            records.append(dict(record))
    known = {(spec["adamId"], spec.get("pricingParam", "STDQ")) for spec in asset_specs}
    for record in records:
        key = (record["adamId"], record["pricingParam"])
        if key not in known:
            known.add(key)
            held = sum(1 for other in records if (other["adamId"], other["pricingParam"]) == key)
            asset_specs.append(asset(key[0], key[1], total=max(10, held)))
    user_ids: List[str] = list(users or ())
    user_ids += [record["clientUserId"] for record in records if "clientUserId" in record and record["clientUserId"] not in user_ids]
    return {"vpp": {"locations": [{
        "name": LOCATION, "uId": LOCATION_UID, "countryCode": "US",
        "token": {"token": INNER_TOKEN, "expDate": EXPIRES.strftime("%Y-%m-%dT%H:%M:%S+0000"), "orgName": ORG_NAME},
        "assets": asset_specs,
        "users": [{"clientUserId": user, "email": "{0}@example.org".format(user)} for user in dict.fromkeys(user_ids)],
        "assignments": records,
    }]}}


def write_seed(path: Path, assets: Iterable[Dict[str, Any]] = (), assignments: Iterable[Dict[str, Any]] = (),
               users: Optional[Iterable[str]] = None) -> Path:
    path.write_text(json.dumps(location_seed(assets, assignments, users)), encoding="utf-8")
    return path
