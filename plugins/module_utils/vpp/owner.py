# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The owner guard: a module that writes never acts on a location another management service owns.

Apple: "Multiple device management services managing the same location result in unpredictable asset
allocation." An MDM that manages a location sets ``mdmInfo`` in its client config, and Apple returns it
in every authenticated answer. The write runs call ``check_owner`` after their reads and before any
write, so the guard costs no request; only a run that has read nothing asks ``/client/config``.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ansible_collections.assetops.licensing.plugins.module_utils.errors import ReportedError


class OwnerError(ReportedError):
    """The location belongs to another management service: nothing was sent."""


def owner_record(info: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """mdmInfo as the modules return it (snake_case keys), or None for an unowned location."""
    if not info:
        return None
    return {"id": info.get("id"), "name": info.get("name"), "metadata": info.get("metadata")}


def describe_owner(owner: Dict[str, Any]) -> str:
    """'Jamf Pro' (mdmInfo id jamf-7781), or just the id when the owner has no name."""
    where = "mdmInfo id {0}".format(owner.get("id"))
    return "{0!r} ({1})".format(owner["name"], where) if owner.get("name") else where


def check_owner(client: Any, mdm_id: Optional[str], result_key: str) -> None:
    """Refuse a location whose owner is not ``mdm_id`` (or that has an owner while ``mdm_id`` is unset).

    ``result_key`` is the module's list of pairs (changes, revoked ...), empty in the refusal's result.
    """
    if not client.owner_known:
        client.get("/client/config")  # nothing read yet: the cheapest answer that carries mdmInfo
    owner = owner_record(client.owner)
    if owner is None or (mdm_id is not None and owner["id"] == mdm_id):
        return
    named = "location is managed by {0}".format(describe_owner(owner))
    if mdm_id is None:
        problem = "{0}: set mdm_id: {1} to act for it, or claim it with vpp_client_config (takeover: true); nothing was sent"
    else:
        problem = "{0}, not by mdm_id {2}: set mdm_id: {1} to act for it, or claim it with vpp_client_config (takeover: true); nothing was sent"
    raise OwnerError(problem.format(named, owner["id"], mdm_id),
                     {"owner": owner, "changed": False, result_key: [], "events": [], "failures": []})
