# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planning for Apple's users: no I/O, no Ansible, so it can be tested exhaustively.

From the users a task wants and the users Apple holds to the changes (create, update, retire), from
the changes to the fewest requests within ``maxUsers`` (one kind per request), what each change leaves
behind (check mode predicts with it), and which users an event failed.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Set, Tuple

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.plan import split_evenly

REGISTERED, ASSOCIATED, RETIRED = "Registered", "Associated", "Retired"
ACTIVE_STATUSES = (REGISTERED, ASSOCIATED)  # what Apple assigns to; anything else fails later with 9609
CREATE, UPDATE, RETIRE = "create", "update", "retire"
ACTIONS = (CREATE, UPDATE, RETIRE)  # the order requests are sent in
PATHS = {CREATE: "/users/create", UPDATE: "/users/update", RETIRE: "/users/retire"}
EVENT_TYPES = {CREATE: "CREATE", UPDATE: "UPDATE", RETIRE: "RETIRE"}


class User(NamedTuple):
    """A user as wanted (email / managed_apple_id None: not given) or as held (None: Apple sent none)."""

    client_user_id: str
    email: Optional[str] = None
    managed_apple_id: Optional[str] = None
    status: Optional[str] = None  # held users only

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def view(self) -> Dict[str, Any]:
        """What --diff shows of a user."""
        return {"status": self.status, "email": self.email, "managed_apple_id": self.managed_apple_id}


class Change(NamedTuple):
    action: str
    user: User  # as wanted

    def body(self) -> Dict[str, str]:
        """The user as Apple's users requests take it: retire takes the id only, the others the fields given."""
        item = {"clientUserId": self.user.client_user_id}
        if self.action != RETIRE:
            if self.user.email is not None:
                item["email"] = self.user.email
            if self.user.managed_apple_id is not None:
                item["managedAppleId"] = self.user.managed_apple_id
        return item

    def to_result(self) -> Dict[str, str]:
        return {"client_user_id": self.user.client_user_id, "action": self.action}


def merge_records(records: Iterable[Any]) -> Dict[str, Any]:
    """One record per client user id (records have client_user_id and status): an active one wins over a
    retired one of the same id, and a later one over an earlier one of the same kind."""
    merged: Dict[str, Any] = {}
    for record in records:
        known = merged.get(record.client_user_id)
        if known is None or record.status in ACTIVE_STATUSES or known.status not in ACTIVE_STATUSES:
            merged[record.client_user_id] = record
    return merged


def plan_changes(wanted: Sequence[User], held: Mapping[str, User], state: str) -> List[Change]:
    """present: create users Apple does not hold active, update a given email / managed Apple ID that differs;
    absent: retire the active ones. A retired user given with state present is created again."""
    changes = []
    for user in wanted:
        current = held.get(user.client_user_id)
        is_active = current is not None and current.active
        if state == "absent":
            if is_active:
                changes.append(Change(RETIRE, user))
        elif not is_active:
            changes.append(Change(CREATE, user))
        elif any(value is not None and value != getattr(current, field)
                 for field, value in (("email", user.email), ("managed_apple_id", user.managed_apple_id))):
            changes.append(Change(UPDATE, user))
    return changes


def after(current: Optional[User], change: Change) -> User:
    """The user as Apple holds it once ``change`` is done (Apple: a managed Apple ID associates the user at once)."""
    user = change.user
    if change.action == RETIRE:
        return (current or user)._replace(status=RETIRED)
    base = current if change.action == UPDATE and current is not None else User(user.client_user_id, status=REGISTERED)
    email = user.email if user.email is not None else base.email
    managed = user.managed_apple_id if user.managed_apple_id is not None else base.managed_apple_id
    status = ASSOCIATED if managed else base.status
    return User(user.client_user_id, email, managed, status)


def reached(change: Change, record: Optional[User]) -> bool:
    """Whether a user read back shows ``change`` done (a write whose answer was lost)."""
    if change.action == RETIRE:
        return record is None or not record.active
    return (record is not None and record.active
            and all(value is None or value == getattr(record, field)
                    for field, value in (("email", change.user.email), ("managed_apple_id", change.user.managed_apple_id))))


def plan_requests(changes: Sequence[Change], max_users: int) -> List[Tuple[str, List[Change]]]:
    """(action, changes) per request: one action each, at most ``max_users`` users each, as few as possible."""
    return [(action, list(chunk))
            for action in ACTIONS
            for chunk in split_evenly([change for change in changes if change.action == action], max_users)]


def failed_users(client_user_ids: Set[str], status: Any) -> Set[str]:
    """Which users of an event failed: those its failures name; a failure naming none fails them all;
    an unsuccessful event without failures is trusted by its counts."""
    if status.event_status == "COMPLETE" and status.num_completed == status.num_requested and not status.failures:
        return set()
    failed: Set[str] = set()
    for failure in status.failures:
        named = set(failure.error_info.client_user_ids)
        failed |= (named & client_user_ids) if named else set(client_user_ids)
    if failed or status.failures:
        return failed
    return set() if status.num_completed >= status.num_requested else set(client_user_ids)


def read_lower_bound(named_users: int, walk_pages: int) -> int:
    """The fewest GET /users requests that can tell the status of ``named_users`` users: one query per user or a
    walk of ``walk_pages`` pages (at least one), whichever is fewer; none when no user is named."""
    if named_users <= 0:
        return 0
    return min(named_users, max(1, walk_pages))


def invite_url(template: Any, invite_code: Optional[str]) -> Optional[str]:
    """Apple's invitation link: ``urls.invitationEmail`` of the service config with the invite code in place."""
    if not isinstance(template, str) or not template or not invite_code:
        return None
    return template.replace("%25inviteCode%25", invite_code)
