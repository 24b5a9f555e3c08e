# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ResellerModule: the connection options of every reseller_* module, the credentials, and the client.

The options here are documented once, in the doc fragment assetops.licensing.reseller.
"""

from __future__ import annotations

from typing import Any, Dict

from ansible.module_utils.basic import env_fallback

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError
from ansible_collections.assetops.licensing.plugins.module_utils.http import HAS_HTTPX, HTTPX_IMPORT_ERROR
from ansible_collections.assetops.licensing.plugins.module_utils.module import CollectionModule, http_url, positive_id, positive_seconds, zero_or_more
from ansible_collections.assetops.licensing.plugins.module_utils.reseller.models import HAS_PYDANTIC, PYDANTIC_IMPORT_ERROR

DEFAULT_API_URL = "https://api.crayon.com"
PASSWORD_GRANT = ("client_id", "client_secret", "username", "password")

CONNECTION_OPTIONS: Dict[str, Dict[str, Any]] = {
    "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_fallback, ["RESELLER_API_URL"]), "clean": http_url(DEFAULT_API_URL)},
    "client_id": {"type": "str", "fallback": (env_fallback, ["RESELLER_CLIENT_ID"])},
    "client_secret": {"type": "str", "no_log": True, "fallback": (env_fallback, ["RESELLER_CLIENT_SECRET"])},
    "username": {"type": "str", "fallback": (env_fallback, ["RESELLER_USERNAME"])},
    "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["RESELLER_PASSWORD"])},
    "access_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["RESELLER_ACCESS_TOKEN"])},
    "timeout": {"type": "float", "default": 30.0, "clean": positive_seconds},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "retries": {"type": "int", "default": 8, "clean": zero_or_more},
}


def record_id(**spec: Any) -> Dict[str, Any]:
    """An integer option naming a record of the platform (its ids start at 1)."""
    return dict({"type": "int", "clean": positive_id}, **spec)


class ResellerModule(CollectionModule):
    """A module of the reseller platform's customer API."""

    connection_options = CONNECTION_OPTIONS
    libraries = ((HAS_HTTPX, "httpx", HTTPX_IMPORT_ERROR), (HAS_PYDANTIC, "pydantic", PYDANTIC_IMPORT_ERROR))

    def credentials(self) -> Any:
        """An access token, or all four values of the password grant; never both, never part."""
        from ansible_collections.assetops.licensing.plugins.module_utils.reseller.client import Credentials

        given = {name: self.params[name] for name in PASSWORD_GRANT if self.params[name] not in (None, "")}
        token = self.params["access_token"] or None
        self.hide(token, self.params["password"], self.params["client_secret"])
        if token and given:
            raise InputError("give either access_token or {0}, not both (check the RESELLER_* environment variables)".format(
                ", ".join(PASSWORD_GRANT)))
        if token:
            return Credentials(access_token=token)
        missing = [name for name in PASSWORD_GRANT if name not in given]
        if missing:
            raise InputError("no reseller credentials: missing {0}; give client_id, client_secret, username and password "
                             "(or access_token), or their RESELLER_* environment variables".format(", ".join(missing)))
        return Credentials(**given)

    def build_client(self, read_only: bool) -> Any:
        from ansible_collections.assetops.licensing.plugins.module_utils.reseller.client import ResellerClient

        self.check_tls()
        return ResellerClient(
            self.credentials(), api_url=self.params["api_url"], timeout=self.params["timeout"], validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"], retries=self.params["retries"], warn=self.warn, read_only=read_only,
        )
