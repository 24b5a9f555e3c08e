# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared module base: connection options, input checks, guarded imports, errors, check/diff handling.

A module file declares its own options and calls ``VppModule(...).run(work)`` (or ResellerModule);
``work`` receives the client and returns the result fields. Everything else (credentials, a
read-only client in check mode, error reporting, ``diff`` only under --diff) is done here once.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, Iterable, List, Optional
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.assetops.licensing.plugins.module_utils.errors import ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import HAS_HTTPX, HTTPX_IMPORT_ERROR, ApiError, CaBundleError, load_ca_bundle
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.models import HAS_PYDANTIC, PYDANTIC_IMPORT_ERROR
from ansible_collections.assetops.licensing.plugins.module_utils.vpp.token import TokenError, check_expiry, parse_stoken

DEFAULT_VPP_API_URL = "https://vpp.itunes.apple.com/mdm/v2"
DEFAULT_RESELLER_API_URL = "https://api.crayon.com"

# Connection options of every vpp_* module; documented once in the doc fragment assetops.licensing.vpp.
# token/token_path fall back to VPP_TOKEN/VPP_TOKEN_PATH in resolve_token(), not here, so that a
# task's own option always beats the environment instead of clashing with it.
VPP_CONNECTION_SPEC: Dict[str, Dict[str, Any]] = {
    "token": {"type": "str", "no_log": True},
    "token_path": {"type": "path"},
    "api_url": {"type": "str", "default": DEFAULT_VPP_API_URL, "fallback": (env_fallback, ["VPP_API_URL"])},
    "timeout": {"type": "float", "default": 30.0, "fallback": (env_fallback, ["VPP_TIMEOUT"])},
    "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["VPP_VALIDATE_CERTS"])},
    "ca_path": {"type": "path", "fallback": (env_fallback, ["VPP_CA_PATH"])},
    "retries": {"type": "int", "default": 8},
}

# Connection options of the reseller_* modules (doc fragment assetops.licensing.reseller).
RESELLER_CONNECTION_SPEC: Dict[str, Dict[str, Any]] = {
    "api_url": {"type": "str", "default": DEFAULT_RESELLER_API_URL, "fallback": (env_fallback, ["RESELLER_API_URL"])},
    "client_id": {"type": "str", "fallback": (env_fallback, ["RESELLER_CLIENT_ID"])},
    "client_secret": {"type": "str", "no_log": True, "fallback": (env_fallback, ["RESELLER_CLIENT_SECRET"])},
    "username": {"type": "str", "fallback": (env_fallback, ["RESELLER_USERNAME"])},
    "password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["RESELLER_PASSWORD"])},
    "access_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["RESELLER_ACCESS_TOKEN"])},
    "timeout": {"type": "float", "default": 30.0},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "retries": {"type": "int", "default": 8},
}
PASSWORD_GRANT = ("client_id", "client_secret", "username", "password")
# Integer options of the reseller modules that name a record: the platform's ids start at 1.
RESELLER_ID_OPTIONS = ("id", "reseller_customer_id", "publisher_id", "invoice_profile_id", "product_variant_id")

# The waiting options of the write modules and vpp_event_info (doc fragment assetops.licensing.vpp.wait).
WAIT_SPEC: Dict[str, Dict[str, Any]] = {
    "wait_timeout": {"type": "float", "default": 600.0},
    "poll_interval": {"type": "float", "default": 30.0},
}


class InputError(ValueError):
    """Bad input found before any request; the message says what to fix."""


def clean_list(name: str, values: Optional[Iterable[Any]]) -> Optional[List[str]]:
    """Strip each value, refuse empty ones, drop repeats (Apple rejects duplicates), keep the order."""
    if values is None:
        return None
    cleaned: List[str] = []
    seen = set()
    for position, value in enumerate(values, start=1):
        text = "" if value is None else str(value).strip()
        if not text:
            raise InputError("{0} has an empty value at position {1}: remove it or fill it in".format(name, position))
        if text not in seen:
            seen.add(text)
            cleaned.append(text)
    return cleaned


def check_adam_ids(name: str, values: Optional[Iterable[str]]) -> None:
    """Apple's adam ids are digits; a name or an App Store link given instead is caught here."""
    for value in values or ():
        if not value.isdigit():
            raise InputError("{0}: {1!r} is not an adam id: Apple's ids are digits, such as 361309726 (the number after "
                             "'id' in the App Store link)".format(name, value))


def check_positive_ids(params: Dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        value = params.get(name)
        if value is not None and value <= 0:
            raise InputError("{0} must be a positive number, not {1}".format(name, value))


def check_api_url(name: str, url: str, example: str = DEFAULT_VPP_API_URL) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError("{0} must be an http(s) URL such as {1}, not {2!r}".format(name, example, url))
    return url.rstrip("/")


class CollectionModule(AnsibleModule):
    """AnsibleModule with a connection spec, guarded imports and the collection's error handling."""

    connection_spec: Dict[str, Dict[str, Any]] = {}
    example_url = DEFAULT_VPP_API_URL

    def __init__(self, argument_spec: Optional[Dict[str, Any]] = None, **kwargs: Any):
        spec = dict(self.connection_spec)
        spec.update(argument_spec or {})
        super().__init__(argument_spec=spec, **kwargs)
        if not HAS_HTTPX:
            self.fail_json(msg=missing_required_lib("httpx"), exception=HTTPX_IMPORT_ERROR)
        if not HAS_PYDANTIC:
            self.fail_json(msg=missing_required_lib("pydantic"), exception=PYDANTIC_IMPORT_ERROR)

    def fail_json(self, msg: Any, **kwargs: Any) -> Any:  # pylint: disable=arguments-differ
        """Fail; for a bad dict option ansible-core's first validation error names no option, so the next one is used."""
        errors = list(getattr(getattr(getattr(self, "validation_result", None), "errors", None), "errors", None) or ())
        if errors and type(errors[0]).__name__ == "NoLogError" and msg == str(errors[0]):
            msg = next((str(error) for error in errors if type(error).__name__ != "NoLogError"), msg)
        super().fail_json(msg=msg, **kwargs)

    # -- input ---------------------------------------------------------------------------------

    def hide(self, *secrets: Optional[str]) -> None:
        """Mask these values wherever they would appear in the result (blank ones would mask everything)."""
        for secret in secrets:
            if secret and secret.strip():
                self.no_log_values.add(secret)
                self.no_log_values.add(secret.strip())

    def clean_lists(self, *names: str) -> None:
        for name in names:
            self.params[name] = clean_list(name, self.params.get(name))

    def check_connection_options(self) -> str:
        """The options every API shares; returns the checked api_url."""
        api_url = check_api_url("api_url", self.params["api_url"], self.example_url)
        if self.params["timeout"] <= 0:
            raise InputError("timeout must be a positive number of seconds")
        if self.params["retries"] < 0:
            raise InputError("retries must be zero or more")
        for name in WAIT_SPEC:
            if name in self.params and self.params[name] <= 0:
                raise InputError("{0} must be a positive number of seconds".format(name))
        if not self.params["validate_certs"]:
            self.warn("validate_certs is false: the TLS certificate of {0} is not checked{1}".format(
                urlsplit(api_url).netloc, " (ca_path is ignored)" if self.params["ca_path"] else ""))
        elif self.params["ca_path"]:
            try:
                load_ca_bundle(self.params["ca_path"])
            except CaBundleError as exc:
                raise InputError(str(exc)) from None
        return api_url

    def build_client(self, read_only: bool) -> Any:
        raise NotImplementedError

    # -- running -------------------------------------------------------------------------------

    def run(self, work: Callable[[Any], Dict[str, Any]], read_only: bool = True, list_options: Iterable[str] = (),
            check_input: Optional[Callable[[], None]] = None) -> None:
        """Check input, build the client, do the work, and exit with its result or one clear error.

        ``work`` returns the result fields; an ``error`` field that is not None makes the module fail
        with that message while keeping the other fields; ``diff`` is returned only under --diff.
        ``check_input`` raises InputError for option combinations the argument spec cannot express.
        """
        try:
            self.clean_lists(*list_options)
            if check_input is not None:
                check_input()
            client = self.build_client(read_only=read_only or self.check_mode)
        except (InputError, TokenError) as exc:
            self.fail_json(msg=str(exc))
        try:
            result = work(client)
        except ReportedError as exc:
            self.fail_json(msg=exc.message, **exc.details)
        except ApiError as exc:
            self.fail_json(msg=exc.message, api_error=exc.to_dict())
        finally:
            client.close()
        error = result.pop("error", None)
        if not self._diff:
            result.pop("diff", None)
        if error:
            self.fail_json(msg=error, **result)
        self.exit_json(**result)


class VppModule(CollectionModule):
    """A module of Apple's App and Book Management API."""

    connection_spec = VPP_CONNECTION_SPEC

    def clean_lists(self, *names: str) -> None:
        super().clean_lists(*names)
        if "adam_ids" in names:
            check_adam_ids("adam_ids", self.params.get("adam_ids"))

    def resolve_token(self) -> str:
        """The sToken text from token or token_path, else VPP_TOKEN or VPP_TOKEN_PATH; exactly one source."""
        token, token_path = self.params["token"], self.params["token_path"]
        if token is not None and token_path is not None:
            raise InputError("token and token_path are mutually exclusive: give only one")
        if token is None and token_path is None:
            env_token, env_path = os.environ.get("VPP_TOKEN"), os.environ.get("VPP_TOKEN_PATH")
            if env_token and env_path:
                raise InputError("both VPP_TOKEN and VPP_TOKEN_PATH are set: unset one of them")
            if not env_token and not env_path:
                raise InputError("no token: set token or token_path, or the VPP_TOKEN or VPP_TOKEN_PATH environment variable")
            token, token_path = env_token or None, env_path or None
        if token is not None:
            self.hide(token)
            return token
        try:
            with open(token_path, "r", encoding="utf-8") as handle:
                content = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError("cannot read token_path {0}: {1}".format(token_path, getattr(exc, "strerror", None) or "not a text file")) from None
        self.hide(content)
        return content

    def build_client(self, read_only: bool) -> Any:
        """Check the connection options and the token, and build the client; nothing is sent yet."""
        from ansible_collections.assetops.licensing.plugins.module_utils.vpp.client import VppClient

        api_url = self.check_connection_options()
        stoken = parse_stoken(self.resolve_token())
        self.hide(stoken.value, stoken.inner_token)
        warning = check_expiry(stoken)
        if warning:
            self.warn(warning)
        return VppClient(
            stoken, api_url=api_url, timeout=self.params["timeout"], validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"], retries=self.params["retries"], warn=self.warn, read_only=read_only,
        )


class ResellerModule(CollectionModule):
    """A module of the reseller platform's customer API."""

    connection_spec = RESELLER_CONNECTION_SPEC
    example_url = DEFAULT_RESELLER_API_URL

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

        api_url = self.check_connection_options()
        check_positive_ids(self.params, [name for name in RESELLER_ID_OPTIONS if name in self.params])
        return ResellerClient(
            self.credentials(), api_url=api_url, timeout=self.params["timeout"], validate_certs=self.params["validate_certs"],
            ca_path=self.params["ca_path"], retries=self.params["retries"], warn=self.warn, read_only=read_only,
        )
