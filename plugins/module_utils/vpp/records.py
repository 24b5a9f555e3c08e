# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The light record of one license assignment, used by planning, snapshots and results.

Kept apart from the pydantic models (models.py) so that a module importing it does not import pydantic.
"""

from __future__ import annotations

from functools import partial
from itertools import chain, product
from operator import itemgetter
from typing import Iterable, Iterator, Sequence, Tuple


class Assignment(tuple):
    """One license assignment: (adam_id, pricing_param, target_kind, target_id), hashable and small.

    A tuple rather than a model keeps a walk over 100,000 assignments light.
    target_kind is "serial_number" or "client_user_id".
    """

    __slots__ = ()

    SERIAL = "serial_number"
    USER = "client_user_id"

    def __new__(cls, adam_id: str, pricing_param: str, target_kind: str, target_id: str) -> "Assignment":
        return tuple.__new__(cls, (adam_id, pricing_param, target_kind, target_id))

    # itemgetter, not a lambda: read for every pair in places, and no Python frame per read
    adam_id = property(itemgetter(0))
    pricing_param = property(itemgetter(1))
    target_kind = property(itemgetter(2))
    target_id = property(itemgetter(3))

    def to_result(self) -> dict:
        return {"adam_id": self[0], "pricing_param": self[1], self[2]: self[3]}


# Per-pair loops over 500,000 pairs are the module's main cost: these run them in C (map, product,
# itemgetter) instead of calling Assignment(...) or its properties once per pair.
ASSET_KEY = itemgetter(0, 1)  # (adam_id, pricing_param) of a pair
ASSET_KIND_KEY = itemgetter(0, 1, 2)  # (adam_id, pricing_param, target_kind)
PRICING = itemgetter(1)
KIND = itemgetter(2)
TARGET = itemgetter(3)
_make = partial(tuple.__new__, Assignment)


def pairs_from(rows: Iterable[Tuple[str, str, str, str]]) -> Iterator[Assignment]:
    """Assignments of (adam_id, pricing_param, target_kind, target_id) rows, made without Assignment's own constructor."""
    return map(_make, rows)


def asset_pairs(adam_id: str, pricing_param: str, kind: str, targets: Sequence[str]) -> Iterator[Assignment]:
    """The pairs of one asset with each of these targets of one kind, in the targets' order."""
    return map(_make, product((adam_id,), (pricing_param,), (kind,), targets))


def pairs_of_assets(assets: Iterable[Tuple[str, str]], kind: str, targets: Sequence[str]) -> Iterator[Assignment]:
    """Each (adam_id, pricing_param) asset with each target of one kind, asset by asset."""
    return chain.from_iterable(asset_pairs(adam_id, pricing, kind, targets) for adam_id, pricing in assets)


def targets_of_kind(pairs: Iterable[Assignment], kind: str) -> set:
    """The target ids of the pairs of one kind (pairs all of one kind, the usual case, are read in C)."""
    kinds = set(map(KIND, pairs))
    if kinds <= {kind}:
        return set(map(TARGET, pairs))
    return {pair[3] for pair in pairs if pair[2] == kind} if kind in kinds else set()
