# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apple's users: the cheapest read, the input cleaners of vpp_user, vpp_user_info, and the user pre-flight of
vpp_assignment. The vpp_user write run is in user_writes.py; the planning in user_plan.py."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError, ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.vpp import plan
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.paging import read_by_ids, walk
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.records import Assignment
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.user_plan import ACTIVE_STATUSES, RETIRED, User, invite_url, merge_records

if TYPE_CHECKING:  # the models import pydantic: loaded by the functions that read an answer
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import UsersPage

STATUSES = ["Registered", "Associated", "Retired"]


# -- input ----------------------------------------------------------------------------------------

def clean_client_user_id(name: str, value: Any) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise InputError("{0} is blank: every user needs the id your system knows them by".format(name))
    return text


def clean_email(name: str, value: Optional[str]) -> Optional[str]:
    """Apple refuses a whole request over one bad address (9717): catch the obvious ones first."""
    if value is None:
        return None
    text = str(value).strip()
    if "@" not in text.strip("@"):
        raise InputError("{0} is not an email address (no @ between a name and a domain): fix it or leave it out".format(name))
    return text


def clean_users(name: str, users: Optional[List[Dict[str, Any]]]) -> Optional[List[Dict[str, Any]]]:
    """Apple refuses a request naming a user twice (9715), and two wishes for one user cannot both hold."""
    seen: Dict[str, int] = {}
    for position, user in enumerate(users or (), start=1):
        first = seen.setdefault(user["client_user_id"], position)
        if first != position:
            raise InputError("{0}[{1}].client_user_id {2!r} repeats {0}[{3}]: give each user once".format(
                name, position, user["client_user_id"], first))
    return users


def user_options() -> Dict[str, Any]:
    """The ``users`` option of vpp_user: declared here so its cleaners sit with the code that needs them."""
    return {"type": "list", "elements": "dict", "required": True, "clean": clean_users, "options": {
        "client_user_id": {"type": "str", "required": True, "clean": clean_client_user_id},
        "email": {"type": "str", "clean": clean_email},
        "managed_apple_id": {"type": "str", "clean": clean_email},
    }}


def check_user_input(options: Any) -> None:
    """Retiring takes ids only: an email with state absent is most likely a wrong state, so it is refused."""
    if options.state != "absent":
        return
    for position, user in enumerate(options.users, start=1):
        given = [field for field in ("email", "managed_apple_id") if user.get(field) is not None]
        if given:
            raise InputError("users[{0}] ({1}) has {2} with state absent: retiring takes client_user_id only; remove {2}, "
                             "or use state present to create or update the user".format(position, user["client_user_id"], " and ".join(given)))


# -- reads --------------------------------------------------------------------------------------

def _to_user(record: Any) -> User:
    return User(record.client_user_id, record.email, record.managed_apple_id, record.status)


def find_users(client: Any, client_user_ids: Optional[Sequence[str]] = None, active_only: bool = False,
               retired_only: bool = False) -> Dict[str, Any]:
    """client user id -> Apple's record (UserRecord), read the cheapest way (paging.read_by_ids)."""
    if client_user_ids is not None and not client_user_ids:
        return {}  # an empty list given matches nothing, at no cost
    from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import UsersPage  # pylint: disable=import-outside-toplevel
    filters = plan.server_filters(activeOnly=True if active_only else None, retiredOnly=True if retired_only else None)
    if not client_user_ids:
        records = walk(client, "/users", [filters], UsersPage)
    else:
        records = read_by_ids(client, "/users", filters, UsersPage, "clientUserId", client_user_ids, lambda record: record.client_user_id)
    wanted = set(client_user_ids) if client_user_ids else None
    # filtered here too: a server that ignores a filter must not change the answer
    return merge_records(record for record in records
                         if plan.matches(record.client_user_id, wanted)
                         and not (active_only and record.status not in ACTIVE_STATUSES)
                         and not (retired_only and record.status != RETIRED))


def held_users(client: Any, client_user_ids: Sequence[str]) -> Dict[str, User]:
    """The active users among these ids (what vpp_user and the pre-flight compare against)."""
    return {user: _to_user(record) for user, record in find_users(client, client_user_ids, active_only=True).items()}


def user_result(record: Any, invitation_template: Any) -> Dict[str, Any]:
    return {
        "client_user_id": record.client_user_id, "email": record.email, "managed_apple_id": record.managed_apple_id,
        "status": record.status, "invite_code": record.invite_code, "id_hash": record.id_hash,
        "invite_url": invite_url(invitation_template, record.invite_code),
    }


def user_info(client: Any, options: Any) -> Dict[str, Any]:
    """vpp_user_info."""
    statuses = set(options.status)
    records = find_users(client, options.client_user_ids, active_only=statuses == set(ACTIVE_STATUSES),
                         retired_only=statuses == {RETIRED})
    template = client.urls.get("invitationEmail")
    users = [user_result(record, template) for _user, record in sorted(records.items()) if record.status in statuses]
    return {"changed": False, "users": users}


# -- the pre-flight of vpp_assignment -------------------------------------------------------------

class UnregisteredUsersError(ReportedError):
    """Users Apple would fail with 9609 after the write: nothing was sent."""

    def __init__(self, message: str, details: Dict[str, Any]):
        super().__init__(message, dict(details, changed=False, changes=[], events=[], failures=[]))


def check_registered(client: Any, changes: Sequence[Assignment]) -> None:
    """Fail before any write when a user the changes name is not Registered or Associated (Apple's 9609, later).

    Reads only when the changes name users, the cheapest way (user_plan.read_lower_bound is its floor)."""
    named = plan.unique(pair[3] for pair in changes if pair[2] == Assignment.USER)
    if not named:
        return
    active = held_users(client, named)
    missing = [user for user in named if user not in active]
    if missing:
        raise UnregisteredUsersError("not registered with Apple: {0} (create them with vpp_user); nothing was sent".format(", ".join(missing)),
                                     {"unregistered_client_user_ids": missing})
