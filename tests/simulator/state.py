"""The Apple side's data: locations with their assets, assignments, users and events.

Loaded from the "vpp" part of the seed. Writes become ``Event``s that stay PENDING until their due
time and are applied lazily, in due order, the next time anything looks at the location
(``VppWorld.settle``). License accounting happens when an event is applied, as at Apple.
"""
from __future__ import annotations

import gc
import hashlib
import math
import time
import uuid
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Sequence

from .ordered import IndexView, MergedView, OrderedIndex
from .tokens import format_date, make_stoken, parse_date

UNLIMITED_COUNT = 2147483647  # totalCount Apple reports for free ("unlimited") assets
PRICING_PARAMS = ("STDQ", "PLUS")
PRODUCT_TYPES = ("App", "Book")
ACTIVE_USER_STATUSES = ("Registered", "Associated")

SERIAL, USER = "serial", "user"  # the two kinds of assignment target
TARGET_FIELD = {SERIAL: "serialNumber", USER: "clientUserId"}
TARGET_LIST_FIELD = {SERIAL: "serialNumbers", USER: "clientUserIds"}

AssetKey = tuple[str, str]  # (adamId, pricingParam)
AssignmentKey = tuple[str, str, str, str]  # (adamId, pricingParam, SERIAL|USER, serialNumber|clientUserId)
Target = tuple[str, str]  # (SERIAL|USER, id)

ERROR_MESSAGES: dict[int, str] = {
    9601: "Login required.",
    9602: "Invalid argument.",
    9603: "Internal error.",
    9609: "Unable to find the registered user.",
    9621: "The token has expired.",
    9622: "Invalid token.",
    9625: "The token has been revoked.",
    9634: "Service removed.",
    9635: "The Apple Account cannot be associated with this user.",
    9641: "The managed Apple Account belongs to another organization.",
    9646: "Too many recent requests. Try again shortly.",
    9650: "The page index must be at least 0 and less than the number of pages.",
    9700: "Too many assets in the request.",
    9701: "Too many clientUserIds in the request.",
    9702: "Too many serialNumbers in the request.",
    9703: "Duplicate assets in the request.",
    9704: "Duplicate clientUserIds in the request.",
    9705: "Duplicate serialNumbers in the request.",
    9706: "An asset in the request is not revocable.",
    9707: "An asset in the request is not device assignable.",
    9708: "Event not found.",
    9709: "Not enough licenses available for the asset.",
    9710: "Both the notification URL and the authentication token are needed.",
    9711: "The notification URL or authentication token is too long.",
    9712: "The notification URL must be a valid https URL.",
    9713: "The MDM metadata is too long.",
    9714: "Too many users in the request.",
    9715: "Duplicate users in the request.",
    9716: "A registered user with this clientUserId already exists.",
    9717: "Invalid email address.",
    9718: "The request has no assets.",
    9719: "The request has neither clientUserIds nor serialNumbers.",
    9720: "The request has no users.",
    9721: "Invalid versionId.",
    9722: "The Authorization header must have the form 'Bearer {sToken}'.",
    9723: "mdmInfo needs name, id and metadata.",
    9724: "The MDM id is too long.",
    9725: "The MDM name is too long.",
    9726: "Unsupported HTTP method for this endpoint.",
    9727: "Unsupported Content-Type for this endpoint.",
    9728: "Unable to deliver the test notification to the notification URL.",
    9729: "The service is temporarily unavailable.",
}


class VppError(Exception):
    """An Apple error answer: HTTP status, errorNumber, optional errorInfo."""

    def __init__(self, status: int, number: int, info: dict[str, Any] | None = None, message: str | None = None) -> None:
        self.status = status
        self.number = number
        self.info = info
        self.message = message or ERROR_MESSAGES.get(number, "Error.")
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.number, self.message, self.info)


def error_body(number: int | None, message: str | None = None, info: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"errorNumber": number, "errorMessage": message or ERROR_MESSAGES.get(number or 0, "Error.")}
    if info:
        body["errorInfo"] = info
    return body


class SeedError(ValueError):
    """A seed file that does not describe a consistent set of locations."""


def asset_ref(key: AssetKey) -> dict[str, str]:
    return {"adamId": key[0], "pricingParam": key[1]}


@dataclass
class Asset:
    adam_id: str
    pricing_param: str = "STDQ"
    product_type: str = "App"
    device_assignable: bool = True
    revocable: bool = True
    supported_platforms: list[str] = field(default_factory=lambda: ["iOS"])
    total_count: int | None = 0  # None: a free asset without a license limit
    retired_count: int = 0
    name: str | None = None  # for people reading /_sim/state; Apple's API has no names

    @property
    def key(self) -> AssetKey:
        return (self.adam_id, self.pricing_param)

    @property
    def unlimited(self) -> bool:
        return self.total_count is None

    @classmethod
    def from_seed(cls, spec: dict[str, Any]) -> Asset:
        product_type = spec.get("productType", "App")
        if product_type not in PRODUCT_TYPES or spec.get("pricingParam", "STDQ") not in PRICING_PARAMS:
            raise SeedError(f"asset {spec.get('adamId')}: productType must be App or Book, pricingParam STDQ or PLUS")
        is_app = product_type == "App"  # Books are user-only and never revocable
        return cls(
            adam_id=str(spec["adamId"]),
            pricing_param=spec.get("pricingParam", "STDQ"),
            product_type=product_type,
            device_assignable=spec.get("deviceAssignable", is_app),
            revocable=spec.get("revocable", is_app),
            supported_platforms=list(spec.get("supportedPlatforms", ["iOS"] if is_app else ["iOS", "macOS"])),
            total_count=None if spec.get("unlimited") else int(spec.get("totalCount", 0)),
            retired_count=int(spec.get("retiredCount", 0)),
            name=spec.get("name"),
        )


@dataclass
class User:
    client_user_id: str
    email: str | None = None
    managed_apple_id: str | None = None
    status: str = "Registered"
    version: int = 0  # the location version that last changed it (for sinceVersionId)
    associated: bool = False  # an Apple Account was associated once: the record has an idHash from then on

    def __post_init__(self) -> None:
        # Apple: created with a managed Apple ID the user is Associated at once; otherwise Registered with an invite code
        if self.status == "Registered" and self.managed_apple_id:
            self.status = "Associated"
        self.associated = self.associated or self.status == "Associated"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_USER_STATUSES

    def associate(self, managed_apple_id: str | None) -> None:
        if managed_apple_id:
            self.managed_apple_id = managed_apple_id
        if self.status == "Registered":
            self.status = "Associated"
        self.associated = True

    def record(self) -> dict[str, Any]:
        digest = hashlib.sha256(self.client_user_id.encode("utf-8")).hexdigest()
        record: dict[str, Any] = {"clientUserId": self.client_user_id, "status": self.status}
        if self.associated:
            record["idHash"] = digest[:32]
        if self.email is not None:
            record["email"] = self.email
        if self.managed_apple_id is not None:
            record["managedAppleId"] = self.managed_apple_id
        if self.status == "Registered":
            record["inviteCode"] = digest[32:48]
        return record


@dataclass
class Event:
    event_id: str
    event_type: str  # ASSOCIATE, DISASSOCIATE, REVOKE, CREATE, UPDATE, RETIRE
    request: dict[str, Any]  # the validated request, applied when the event is due
    due: float  # time.monotonic() when it finishes
    num_requested: int
    status: str = "PENDING"
    num_completed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    looks_left: int | None = None  # eventPolls: the /status look that finishes it (None: its due time does)
    pending_answered_at: float | None = None  # when a /status look last answered PENDING (statusIntervalSeconds)

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "eventStatus": self.status,
            "eventType": self.event_type,
            "numCompleted": self.num_completed,
            "numRequested": self.num_requested,
        }
        if self.failures:
            record["failures"] = self.failures
        return record


class _Failures:
    """Failures of one event, grouped like Apple's: per error number (and asset, for 9709)."""

    def __init__(self) -> None:
        self._groups: dict[tuple[int, AssetKey | None], dict[str, Any]] = {}

    def add(self, number: int, target: Target, asset: AssetKey | None = None) -> None:
        group = self._groups.get((number, asset))
        if group is None:
            group = error_body(number, info={"assets": [asset_ref(asset)]} if asset else {})
            group.setdefault("errorInfo", {})
            self._groups[(number, asset)] = group
        ids = group["errorInfo"].setdefault(TARGET_LIST_FIELD[target[0]], [])
        if target[1] not in ids:
            ids.append(target[1])

    def as_list(self) -> list[dict[str, Any]]:
        return list(self._groups.values())


class Location:
    """One Apple location (library) and everything in it."""

    def __init__(self, name: str, uid: str, token: str, exp_date: datetime, org_name: str, country_code: str = "US", revoked: bool = False) -> None:
        self.name = name
        self.uid = uid
        self.token = token  # the inner token inside the sToken
        self.exp_date = exp_date
        self.org_name = org_name
        self.country_code = country_code
        self.revoked = revoked
        self.default_platform = "volumestore"  # Apple: volumestore for education, enterprisestore for business
        self.website_url: str | None = None
        self.assets: dict[AssetKey, Asset] = {}
        self.assignments: dict[AssignmentKey, int] = {}  # -> the version that added it
        self.assigned: Counter[AssetKey] = Counter()
        # indexes of the assignments, each in the order they were added (the order of every page):
        # a filtered page costs its size, not a pass over all assignments
        self._assignment_seq: dict[AssignmentKey, int] = {}
        self._next_seq = 0
        self._all_index = OrderedIndex()
        self._asset_index: dict[AssetKey, OrderedIndex] = {}
        self._pricing_index: dict[str, OrderedIndex] = {pricing: OrderedIndex() for pricing in PRICING_PARAMS}
        self._target_index: dict[Target, list[AssignmentKey]] = {}  # a target holds one per asset at most: a list is enough
        self._added_versions: list[int] = []  # the rising versions that added assignments, and the first seq of each
        self._added_from: list[int] = []
        self.users: dict[str, User] = {}
        self.events: dict[str, Event] = {}
        self.rule_breaks: list[dict[str, Any]] = []  # Apple's written rules a client broke (statusIntervalSeconds)
        # POST /client/config: mdmInfo (once set), notificationUrl (once set), notificationAuthToken, notificationTypes
        self.client_config: dict[str, Any] = {
            "notificationAuthToken": hashlib.sha256(f"notify-{uid}".encode("utf-8")).hexdigest()[:32],
            "notificationTypes": [],
        }
        self.notifications: list[dict[str, Any]] = []  # what Apple "sent" to the notification URL (TEST_NOTIFICATION)
        # notifications.py: called before an event is applied; what each returns is called after it
        self.event_hooks: list[Callable[[Location, Event], Callable[[], None]]] = []
        self._version = 0
        self._versions: dict[str, int] = {}
        self._changed = False
        self.version_id = ""
        self.bump_version()

    # ------------------------------------------------------------------ token
    @property
    def stoken(self) -> str:
        return make_stoken(self.token, self.exp_date, self.org_name)

    @property
    def token_expiration_date(self) -> str:
        return format_date(self.exp_date)

    def expired(self) -> bool:
        return self.exp_date <= datetime.now(timezone.utc)

    # ------------------------------------------------------------------ versions
    def bump_version(self) -> None:
        """A new versionId: called once after each change of assets, assignments or users."""
        self._version += 1
        self.version_id = str(uuid.uuid4())
        self._versions[self.version_id] = self._version
        self._changed = False

    def _mark_changed(self) -> int:
        """The version number the pending change will carry."""
        self._changed = True
        return self._version + 1

    def _commit(self) -> None:
        if self._changed:
            self.bump_version()

    def version_number(self, version_id: str) -> int:
        if version_id not in self._versions:
            raise VppError(400, 9721)
        return self._versions[version_id]

    # ------------------------------------------------------------------ counts
    def total_count(self, asset: Asset) -> int:
        return UNLIMITED_COUNT if asset.total_count is None else asset.total_count

    def assigned_count(self, asset: Asset) -> int:
        return self.assigned[asset.key]

    def available_count(self, asset: Asset) -> int:
        return self.total_count(asset) - self.assigned_count(asset) - asset.retired_count

    def asset_record(self, asset: Asset, counts: bool = True) -> dict[str, Any]:
        """The asset as /assets shows it; ``counts=False`` is the unlimitedAssets form."""
        record: dict[str, Any] = {
            "adamId": asset.adam_id,
            "pricingParam": asset.pricing_param,
            "productType": asset.product_type,
            "deviceAssignable": asset.device_assignable,
            "revocable": asset.revocable,
            "supportedPlatforms": list(asset.supported_platforms),
            "assignedCount": self.assigned_count(asset),
        }
        if counts:
            record.update(
                availableCount=self.available_count(asset),
                totalCount=self.total_count(asset),
                retiredCount=asset.retired_count,
            )
        return record

    # ------------------------------------------------------------------ assignments and users
    def add_assignment(self, key: AssignmentKey) -> bool:
        if key in self.assignments:
            return False
        version = self._mark_changed()
        self.assignments[key] = version
        asset = key[:2]
        self.assigned[asset] += 1
        # the indexes, each in the order the assignments were added
        seq = self._next_seq
        self._next_seq = seq + 1
        self._assignment_seq[key] = seq
        self._all_index.append(seq, key)
        asset_index = self._asset_index.get(asset)
        if asset_index is None:
            asset_index = self._asset_index[asset] = OrderedIndex()
        asset_index.append(seq, key)
        self._pricing_index[key[1]].append(seq, key)
        target = key[2:]
        held = self._target_index.get(target)
        if held is None:
            self._target_index[target] = [key]
        else:
            held.append(key)
        if self._added_versions[-1:] != [version]:  # versions only rise with seq
            self._added_versions.append(version)
            self._added_from.append(seq)
        return True

    def remove_assignment(self, key: AssignmentKey) -> bool:
        if key not in self.assignments:
            return False
        del self.assignments[key]
        self._mark_changed()
        self.assigned[key[:2]] -= 1
        seq = self._assignment_seq.pop(key)
        self._all_index.remove(seq)
        self._asset_index[key[:2]].remove(seq)
        self._pricing_index[key[1]].remove(seq)
        held = self._target_index[key[2:]]
        held.remove(key)
        if not held:
            del self._target_index[key[2:]]
        return True

    def active_user(self, client_user_id: str) -> bool:
        user = self.users.get(client_user_id)
        return user is not None and user.active

    def assignments_since(self, version_id: str | None) -> list[AssignmentKey]:
        """All assignments, or those added after ``version_id`` (deletions are not reported)."""
        selected = self.select_assignments(since_version_id=version_id)
        return list(selected[0:len(selected)])

    def select_assignments(self, adam_id: str | None = None, pricing_param: str | None = None, targets: Sequence[Target] = (),
                           since_version_id: str | None = None, exclude_inactive: bool = False) -> Sequence[AssignmentKey]:
        """The assignments GET /assignments filters for, in the order they were added, as a sequence to slice pages
        from: adamId (pricingParam alone or with it), every target in ``targets``, added after ``since_version_id``,
        and without those of inactive users. Slicing a page costs about its size (plus assignments / 1024)."""
        since = None if since_version_id is None else self.version_number(since_version_id)

        def selected(key: AssignmentKey) -> bool:  # the plain filter, for the small or rare cases
            return (
                adam_id in (None, key[0])
                and pricing_param in (None, key[1])
                and all(key[2:] == target for target in targets)
                and not (exclude_inactive and key[2] == USER and not self.active_user(key[3]))
                and (since is None or self.assignments[key] > since)
            )

        if targets:  # one target holds at most one assignment per asset
            return [key for key in self._target_index.get(targets[0], ()) if selected(key)]
        view: Sequence[AssignmentKey]
        if adam_id is not None:
            indexes = [self._asset_index[asset] for asset in ((adam_id, pricing) for pricing in PRICING_PARAMS if pricing_param in (None, pricing))
                       if self._asset_index.get(asset)]
            if not indexes:
                return []
            starts = [0 if since is None else index.rank(self._first_seq_after(since)) for index in indexes]
            if len(indexes) > 1:  # adamId alone, held with both pricings
                view = MergedView(indexes[0], indexes[1], self._assignment_seq.__getitem__, (starts[0], starts[1]))
            else:
                view = IndexView(indexes[0], starts[0])
        else:
            index = self._all_index if pricing_param is None else self._pricing_index[pricing_param]
            view = IndexView(index, 0 if since is None else index.rank(self._first_seq_after(since)))
        if exclude_inactive and any(not user.active and (USER, user.client_user_id) in self._target_index for user in self.users.values()):
            return [key for key in view[0:len(view)] if selected(key)]  # assignments of inactive users to leave out: the plain filter
        return view

    def _first_seq_after(self, version: int) -> int:
        """The sequence number of the first assignment added after ``version`` (versions only rise with seq)."""
        position = bisect_right(self._added_versions, version)
        return self._added_from[position] if position < len(self._added_versions) else self._next_seq

    def users_since(self, version_id: str | None) -> list[User]:
        if version_id is None:
            return list(self.users.values())
        since = self.version_number(version_id)
        return [user for user in self.users.values() if user.version > since]

    @staticmethod
    def assignment_record(key: AssignmentKey) -> dict[str, str]:
        return {"adamId": key[0], "pricingParam": key[1], TARGET_FIELD[key[2]]: key[3]}

    # ------------------------------------------------------------------ events
    def submit(self, event_type: str, request: dict[str, Any], num_requested: int, seconds: float,
               now: float | None = None, looks: int | None = None) -> Event:
        """A PENDING event, due ``seconds`` from ``now``; with ``looks`` it is due at its looks-th /status look instead."""
        now = time.monotonic() if now is None else now
        due = math.inf if looks is not None else now + seconds
        event = Event(str(uuid.uuid4()), event_type, request, due, num_requested, looks_left=looks)
        self.events[event.event_id] = event
        return event

    def look(self, event: Event, now: float) -> None:
        """A /status look at ``event``: the one that an eventPolls count waits for makes it due now."""
        if event.status == "PENDING" and event.looks_left is not None:
            event.looks_left -= 1
            if event.looks_left <= 0:
                event.due = now
                self.settle(now)

    def settle(self, now: float | None = None) -> None:
        """Apply, in due order, every pending event whose time has come."""
        now = time.monotonic() if now is None else now
        due = sorted((event for event in self.events.values() if event.status == "PENDING" and event.due <= now), key=lambda event: event.due)
        for event in due:
            self._apply(event)

    def _apply(self, event: Event) -> None:
        handlers: dict[str, Callable[[dict[str, Any], _Failures], int]] = {
            "ASSOCIATE": self._associate,
            "DISASSOCIATE": self._disassociate,
            "REVOKE": self._revoke,
            "CREATE": self._create_users,
            "UPDATE": self._update_users,
            "RETIRE": self._retire_users,
        }
        after = [hook(self, event) for hook in self.event_hooks]
        failures = _Failures()
        event.num_completed = handlers[event.event_type](event.request, failures)
        event.failures = failures.as_list()
        success = not event.failures and event.num_completed == event.num_requested
        event.status = "COMPLETE" if success else "FAILED"
        self._commit()
        # What an event leaves behind lives until the next reset: keep it out of the collector's full
        # passes, which over half a million assignments stall the loop for up to 0.4 s. A stall stamps
        # the requests queued behind it as arriving together, and the rate limit would count them so.
        gc.freeze()
        for finished in after:
            finished()

    def _pairs(self, request: dict[str, Any]) -> Iterable[tuple[Asset, Target]]:
        for asset_key in request["assets"]:
            for target in request["targets"]:
                yield self.assets[asset_key], target

    def _associate(self, request: dict[str, Any], failures: _Failures) -> int:
        completed = 0
        for asset, target in self._pairs(request):
            key = (*asset.key, *target)
            if target[0] == USER and not self.active_user(target[1]):
                failures.add(9609, target)
            elif key in self.assignments:
                completed += 1  # already there: nothing to do, no license used
            elif self.available_count(asset) <= 0:
                failures.add(9709, target, asset.key)
            else:
                self.add_assignment(key)
                completed += 1
        return completed

    def _disassociate(self, request: dict[str, Any], failures: _Failures) -> int:
        completed = 0
        for asset, target in self._pairs(request):
            if target[0] == USER and not self.active_user(target[1]):
                failures.add(9609, target)
            else:
                self.remove_assignment((*asset.key, *target))  # a missing pair just completes
                completed += 1
        return completed

    def _revoke(self, request: dict[str, Any], failures: _Failures) -> int:
        targets = set()
        for target in request["targets"]:
            if target[0] == USER and not self.active_user(target[1]):
                failures.add(9609, target)
            else:
                targets.add(target)
        self._remove_revocable(targets)
        return len(targets)

    def _remove_revocable(self, targets: set[Target]) -> None:
        doomed = [key for target in targets for key in self._target_index.get(target, ()) if self.assets[key[:2]].revocable]
        for key in doomed:
            self.remove_assignment(key)

    @staticmethod
    def _account_failure(request: dict[str, Any], spec: dict[str, Any]) -> int | None:
        """9635 / 9641 when the setting appleAccountFailures names the request's managed Apple ID."""
        return request.get("accountFailures", {}).get(spec.get("managedAppleId") or "")

    def _create_users(self, request: dict[str, Any], failures: _Failures) -> int:
        completed = 0
        for spec in request["users"]:
            number = 9716 if self.active_user(spec["clientUserId"]) else self._account_failure(request, spec)
            if number:
                failures.add(number, (USER, spec["clientUserId"]))
                continue
            self.users[spec["clientUserId"]] = User(spec["clientUserId"], spec.get("email"), spec.get("managedAppleId"), "Registered", self._mark_changed())
            completed += 1
        return completed

    def _update_users(self, request: dict[str, Any], failures: _Failures) -> int:
        completed = 0
        for spec in request["users"]:
            user = self.users.get(spec["clientUserId"])
            number = 9609 if user is None or not user.active else self._account_failure(request, spec)
            if number:
                failures.add(number, (USER, spec["clientUserId"]))
                continue
            user.email = spec.get("email", user.email)
            if spec.get("managedAppleId"):
                user.associate(spec["managedAppleId"])
            user.version = self._mark_changed()
            completed += 1
        return completed

    def _retire_users(self, request: dict[str, Any], failures: _Failures) -> int:
        """A retired user loses their revocable licenses (unless the request says otherwise); Books stay with the person."""
        completed = 0
        for spec in request["users"]:
            user = self.users.get(spec["clientUserId"])
            if user is None or not user.active:
                failures.add(9609, (USER, spec["clientUserId"]))
                continue
            user.status = "Retired"
            user.version = self._mark_changed()
            if request.get("freeLicenses", True):
                self._remove_revocable({(USER, user.client_user_id)})
            completed += 1
        return completed

    # ------------------------------------------------------------------ mutations (fault rules)
    def add_foreign_assignments(self, count: int, adam_id: str | None = None, pricing_param: str | None = None) -> int:
        """Assignments made by "someone else" (another MDM): up to ``count`` new serials, within
        the asset's available licenses. Returns how many were added."""
        asset = self._mutation_asset(adam_id, pricing_param)
        added = 0
        while added < count and self.available_count(asset) > 0:
            serial = f"SIMX{uuid.uuid4().hex[:10].upper()}"
            added += self.add_assignment((*asset.key, SERIAL, serial))
        self._commit()
        return added

    def retire_user_now(self, client_user_id: str) -> None:
        """Retire a user at once (someone else did it), with what retiring takes away."""
        self._retire_users({"users": [{"clientUserId": client_user_id}]}, _Failures())
        self._commit()

    def create_user_now(self, client_user_id: str) -> None:
        """Register a user at once (someone else did it): a create of the same id then fails with 9716."""
        self._create_users({"users": [{"clientUserId": client_user_id}]}, _Failures())
        self._commit()

    def remove_oldest_assignments(self, count: int) -> None:
        """Remove the ``count`` oldest assignments: everything after them moves up a page."""
        for key in self._all_index.slice(0, count):
            self.remove_assignment(key)
        self._commit()

    def add_new_assets(self, count: int, template: dict[str, Any], keep_version: bool = False) -> list[AssetKey]:
        """``count`` newly bought assets (Asset.from_seed keys in ``template``; adamIds made up), listed last."""
        added: list[AssetKey] = []
        number = 900000000 + len(self.assets)
        while len(added) < count:
            number += 1
            asset = Asset.from_seed({**template, "adamId": str(number)})
            if asset.key not in self.assets:
                self.assets[asset.key] = asset
                added.append(asset.key)
        self._changed = True
        self._finish_mutation(keep_version)
        return added

    def remove_newest_assets(self, count: int, keep_version: bool = False) -> list[AssetKey]:
        """Remove the ``count`` assets listed last, with their assignments (the set shrinks under a walk).
        Meant for a location without pending writes to those assets."""
        doomed = list(self.assets)[-count:] if count else []
        for key in doomed:
            for assignment in list(self._asset_index.get(key, ())):
                self.remove_assignment(assignment)
            self._asset_index.pop(key, None)
            del self.assets[key]
        self._changed = True
        self._finish_mutation(keep_version)
        return doomed

    def _finish_mutation(self, keep_version: bool) -> None:
        """A new versionId, or (``keep_version``) none: a server whose versionId misses the change."""
        if keep_version:
            self._changed = False
        self._commit()

    def _mutation_asset(self, adam_id: str | None, pricing_param: str | None) -> Asset:
        for asset in self.assets.values():
            if adam_id is None and asset.device_assignable:
                return asset
            if asset.adam_id == adam_id and pricing_param in (None, asset.pricing_param):
                if not asset.device_assignable:
                    raise ValueError(f"asset {adam_id} is not device assignable")
                return asset
        raise ValueError(f"location {self.name!r} has no such device-assignable asset: {adam_id}")

    # ------------------------------------------------------------------ /_sim/state
    def state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uId": self.uid,
            "countryCode": self.country_code,
            "revoked": self.revoked,
            "tokenExpirationDate": self.token_expiration_date,
            "versionId": self.version_id,
            "clientConfig": dict(self.client_config),
            "notifications": [dict(notification) for notification in self.notifications],
            "assets": [{**self.asset_record(asset), "name": asset.name, "unlimited": asset.unlimited} for asset in self.assets.values()],
            "assignments": [self.assignment_record(key) for key in self.assignments],
            "users": [user.record() for user in self.users.values()],
            "events": [{"eventId": event.event_id, **event.record(), "request": _jsonable(event.request)} for event in self.events.values()],
            "ruleBreaks": list(self.rule_breaks),
        }


def _jsonable(request: dict[str, Any]) -> dict[str, Any]:
    """An event's request in API terms (asset keys and targets back to JSON objects)."""
    result = dict(request)
    if "assets" in result:
        result["assets"] = [asset_ref(key) for key in result["assets"]]
    if "targets" in result:
        targets = result.pop("targets")
        for kind, list_field in TARGET_LIST_FIELD.items():
            result[list_field] = [target_id for target_kind, target_id in targets if target_kind == kind]
    return result


# ---------------------------------------------------------------------- seed loading
def _expiry(spec: dict[str, Any], now: datetime) -> datetime:
    if "expDate" in spec:
        return parse_date(spec["expDate"])
    return (now + timedelta(days=float(spec.get("expiresInDays", 365)))).replace(microsecond=0)


def _seed_assets(spec: dict[str, Any]) -> list[Asset]:
    assets = [Asset.from_seed(asset) for asset in spec.get("assets", [])]
    for generated in spec.get("generate", {}).get("assets", []):
        template = {key: value for key, value in generated.items() if key not in ("count", "adamIdStart")}
        start = int(generated["adamIdStart"])
        assets += [Asset.from_seed({**template, "adamId": str(start + offset)}) for offset in range(int(generated["count"]))]
    return assets


def _seed_assignments(spec: dict[str, Any]) -> list[AssignmentKey]:
    keys: list[AssignmentKey] = []
    for item in spec.get("assignments", []):
        kind = SERIAL if "serialNumber" in item else USER
        keys.append((str(item["adamId"]), item.get("pricingParam", "STDQ"), kind, item[TARGET_FIELD[kind]]))
    for generated in spec.get("generate", {}).get("assignments", []):
        asset = (str(generated["adamId"]), generated.get("pricingParam", "STDQ"))
        keys += [(*asset, SERIAL, f"{generated['serialPrefix']}{number:06d}") for number in range(1, int(generated["count"]) + 1)]
    return keys


MDM_INFO_KEYS = ("id", "name", "metadata")
CLIENT_CONFIG_SEED_KEYS = ("notificationUrl", "notificationAuthToken", "notificationTypes")


def _seed_client_config(location: Location, spec: dict[str, Any]) -> None:
    """What an MDM already set in the location's client config (``mdmInfo``: another MDM owns it), and the
    location's own fields of GET /client/config (``websiteURL``, ``defaultPlatform``)."""
    name = location.name
    if "mdmInfo" in spec:
        info = spec["mdmInfo"]
        if not isinstance(info, dict) or not all(isinstance(info.get(key), str) and info[key] for key in MDM_INFO_KEYS):
            raise SeedError(f"{name}: mdmInfo needs id, name and metadata (non-empty strings)")
        location.client_config["mdmInfo"] = {key: info[key] for key in MDM_INFO_KEYS}
    if ("notificationUrl" in spec) != ("notificationAuthToken" in spec):
        raise SeedError(f"{name}: notificationUrl and notificationAuthToken go together")
    for key in CLIENT_CONFIG_SEED_KEYS:
        if key in spec:
            location.client_config[key] = list(spec[key]) if key == "notificationTypes" else str(spec[key])
    if spec.get("defaultPlatform") not in (None, "volumestore", "enterprisestore"):
        raise SeedError(f"{name}: defaultPlatform must be volumestore or enterprisestore")
    location.default_platform = spec.get("defaultPlatform") or location.default_platform
    location.website_url = spec.get("websiteURL")


def load_location(spec: dict[str, Any], now: datetime) -> Location:
    name = spec["name"]
    token = spec.get("token", {})
    location = Location(
        name=name,
        uid=str(spec["uId"]),
        token=token["token"],
        exp_date=_expiry(token, now),
        org_name=token.get("orgName", name),
        country_code=spec.get("countryCode", "US"),
        revoked=bool(spec.get("revoked", False)),
    )
    _seed_client_config(location, spec)
    for asset in _seed_assets(spec):
        if asset.key in location.assets:
            raise SeedError(f"{name}: asset {asset.key} twice")
        location.assets[asset.key] = asset
    for user in spec.get("users", []):
        location.users[user["clientUserId"]] = User(user["clientUserId"], user.get("email"), user.get("managedAppleId"), user.get("status", "Registered"))
    for key in _seed_assignments(spec):
        asset = location.assets.get(key[:2])
        if asset is None:
            raise SeedError(f"{name}: assignment {key} names an asset the location does not have")
        if key[2] == SERIAL and not asset.device_assignable:
            raise SeedError(f"{name}: assignment {key}: the asset is not device assignable")
        if key[2] == USER and key[3] not in location.users:
            raise SeedError(f"{name}: assignment {key}: no such user")
        if not location.add_assignment(key):
            raise SeedError(f"{name}: assignment {key} twice")
    for asset in location.assets.values():
        if location.available_count(asset) < 0:
            raise SeedError(f"{name}: asset {asset.key} has more assignments than licenses")
    location.bump_version()
    return location


class VppWorld:
    """All seeded locations."""

    def __init__(self, locations: list[Location]) -> None:
        self.locations = locations
        self._by_token = {location.token: location for location in locations}

    @classmethod
    def from_seed(cls, seed: dict[str, Any], now: datetime | None = None) -> VppWorld:
        now = now or datetime.now(timezone.utc)
        try:
            locations = [load_location(spec, now) for spec in seed.get("locations", [])]
        except (KeyError, TypeError) as exc:
            raise SeedError(f"incomplete location in the seed: {exc!r}") from exc
        if len({location.uid for location in locations}) != len(locations) or len({location.token for location in locations}) != len(locations):
            raise SeedError("location uIds and tokens must be unique")
        return cls(locations)

    def by_token(self, inner_token: str) -> Location | None:
        return self._by_token.get(inner_token)

    def find(self, name_or_uid: str) -> Location | None:
        return next((location for location in self.locations if name_or_uid in (location.name, location.uid)), None)

    def state(self, now: float | None = None) -> dict[str, Any]:
        for location in self.locations:
            location.settle(now)
        return {"locations": [location.state() for location in self.locations]}

    def tokens(self) -> list[dict[str, str]]:
        return [{"uId": location.uid, "name": location.name, "sToken": location.stoken} for location in self.locations]
