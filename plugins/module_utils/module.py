# -*- coding: utf-8 -*-
# Copyright: assetops.licensing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CollectionModule: options declared once, input cleaned as declared, errors and check/diff handled once.

A module declares each option once, in a dict of ansible argument specs. An option's spec may carry
one extra key, ``clean``: a function ``(name, value) -> value`` that strips, de-duplicates or checks
the value and raises InputError with a message a person can act on, or returns ``Warned`` to keep a
value but warn about it. The key is removed before ansible-core sees the spec, so a new option cannot
miss its cleaning and the docs test sees plain specs.

The work of a module is one function ``work(client, options)``: ``options`` is every option, cleaned,
as attributes, plus ``check_mode``. It returns the result fields (see ``run``).

This file knows no API: vpp/module.py and reseller/module.py add the connection options and clients.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.assetops.licensing.plugins.module_utils.errors import InputError, ReportedError
from ansible_collections.assetops.licensing.plugins.module_utils.http import HAS_HTTPX, HTTPX_IMPORT_ERROR, ApiError, CaBundleError, load_ca_bundle

Cleaner = Callable[[str, Any], Any]
# notice(labels, items) -> the warning about those items of the options labelled so
Notice = Callable[[List[str], List[str]], str]


# -- cleaners: declared on an option with "clean" ------------------------------------------------

def clean_list(name: str, values: Optional[Iterable[Any]]) -> Optional[List[str]]:
    """Strip each value, refuse empty ones, drop repeats (APIs reject duplicates), keep the order."""
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


def listed(items: Sequence[str], limit: int = 3) -> str:
    """The first ``limit`` items, then how many more: a message stays one readable line for any list."""
    shown = ", ".join(items[:limit])
    return shown + (" and {0} more".format(len(items) - limit) if len(items) > limit else "")


def not_blank(name: str, value: Optional[str]) -> Optional[str]:
    """A text option that, when given, must hold more than white space (stripped)."""
    if value is None:
        return None
    if not str(value).strip():
        raise InputError("{0} must not be blank: give a value or leave {0} out".format(name))
    return str(value).strip()


def positive_seconds(name: str, value: float) -> float:
    if value <= 0:
        raise InputError("{0} must be a positive number of seconds".format(name))
    return value


def zero_or_more(name: str, value: int) -> int:
    if value < 0:
        raise InputError("{0} must be zero or more".format(name))
    return value


def positive_id(name: str, value: int) -> int:
    """Record ids of the APIs start at 1."""
    if value <= 0:
        raise InputError("{0} must be a positive number, not {1}".format(name, value))
    return value


def http_url(example: str) -> Cleaner:
    """A cleaner for an API base URL: http(s) with a host, no trailing slash."""
    def clean(name: str, value: str) -> str:
        url = (value or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InputError("{0} must be an http(s) URL such as {1}, not {2!r}".format(name, example, url))
        return url.rstrip("/")
    return clean


def id_list(clean: Cleaner = clean_list, **spec: Any) -> Dict[str, Any]:
    """A list of ids: strings, stripped, without repeats or blanks (``clean`` may add a check)."""
    return dict({"type": "list", "elements": "str", "clean": clean}, **spec)


class Warned:
    """What a cleaner returns to keep ``value`` but warn about some of its ``items``.

    Findings with the same ``notice`` from every option of a task (each ``assignments`` group, say)
    become one warning, so a list of hundreds gives one line, not hundreds."""

    def __init__(self, value: Any, notice: Notice, items: Iterable[str]):
        self.value = value
        self.notice = notice
        self.items = list(items)


def split_spec(options: Dict[str, Dict[str, Any]]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(the argument spec for ansible-core, the cleaners): ``clean`` keys taken out, at every level.

    Cleaners are keyed by option name; a dict or list-of-dicts option with cleaned suboptions gets a
    nested mapping."""
    spec: Dict[str, Any] = {}
    cleaners: Dict[str, Any] = {}
    for name, option in options.items():
        option = dict(option)
        clean = option.pop("clean", None)
        nested: Dict[str, Any] = {}
        if "options" in option:
            option["options"], nested = split_spec(option["options"])
        spec[name] = option
        if clean is not None or nested:
            cleaners[name] = (clean, nested)
    return spec, cleaners


def apply_cleaners(values: Dict[str, Any], cleaners: Dict[str, Any], prefix: str = "",
                   notes: Optional[Dict[Notice, Tuple[List[str], List[str]]]] = None) -> Dict[Notice, Tuple[List[str], List[str]]]:
    """Clean ``values`` in place; suboption names in messages are prefixed with where they sit.

    Returns what the cleaners warned about: per notice, the labels of the options and their items."""
    notes = {} if notes is None else notes
    for name, (clean, nested) in cleaners.items():
        value = values.get(name)
        if value is None:
            continue
        label = prefix + name
        if nested:
            elements = value if isinstance(value, list) else [value]
            for position, element in enumerate(elements, start=1):
                where = "{0}[{1}].".format(label, position) if isinstance(value, list) else label + "."
                apply_cleaners(element, nested, where, notes)
        if clean is not None:
            cleaned = clean(label, values[name])
            if isinstance(cleaned, Warned):
                labels, items = notes.setdefault(cleaned.notice, ([], []))
                labels.append(label)
                items.extend(cleaned.items)
                cleaned = cleaned.value
            values[name] = cleaned
    return notes


def warnings_of(notes: Dict[Notice, Tuple[List[str], List[str]]]) -> List[str]:
    """One warning per notice; an item named by several options is named once."""
    return [notice(labels, list(dict.fromkeys(items))) for notice, (labels, items) in notes.items()]


class CollectionModule(AnsibleModule):
    """AnsibleModule with declared cleaning, guarded imports and the collection's error handling.

    Subclasses set ``connection_options`` (merged under each module's own options) and
    ``libraries`` ((available, pip name, import traceback) of what they need), and build the client.
    """

    connection_options: Dict[str, Dict[str, Any]] = {}
    libraries: Sequence[Tuple[bool, str, Optional[str]]] = ((HAS_HTTPX, "httpx", HTTPX_IMPORT_ERROR),)

    def __init__(self, options: Dict[str, Dict[str, Any]], writes: bool = False, **kwargs: Any):
        spec, self._cleaners = split_spec(dict(self.connection_options, **options))
        kwargs.setdefault("supports_check_mode", True)
        super().__init__(argument_spec=spec, **kwargs)
        # ansible-core masks the value of every no_log option; a blank one would mask every space of the output
        self.no_log_values.difference_update([value for value in list(self.no_log_values) if not str(value).strip()])
        self.writes = writes
        for available, name, error in self.libraries:
            if not available:
                self.fail_json(msg=missing_required_lib(name), exception=error)

    def fail_json(self, msg: Any, **kwargs: Any) -> Any:  # pylint: disable=arguments-differ
        """Fail; for a bad dict option ansible-core's first validation error names no option, so the next one is used."""
        errors = list(getattr(getattr(getattr(self, "validation_result", None), "errors", None), "errors", None) or ())
        if errors and type(errors[0]).__name__ == "NoLogError" and msg == str(errors[0]):
            msg = next((str(error) for error in errors if type(error).__name__ != "NoLogError"), msg)
        super().fail_json(msg=msg, **kwargs)

    def hide(self, *secrets: Optional[str]) -> None:
        """Mask these values wherever they would appear in the result (blank ones would mask everything)."""
        for secret in secrets:
            if secret and secret.strip():
                self.no_log_values.add(secret)
                self.no_log_values.add(secret.strip())

    def check_tls(self) -> None:
        """validate_certs and ca_path, which every API shares."""
        if not self.params["validate_certs"]:
            self.warn("validate_certs is false: the TLS certificate of {0} is not checked{1}".format(
                urlsplit(self.params["api_url"]).netloc, " (ca_path is ignored)" if self.params["ca_path"] else ""))
        elif self.params["ca_path"]:
            try:
                load_ca_bundle(self.params["ca_path"])
            except CaBundleError as exc:
                raise InputError(str(exc)) from None

    def build_client(self, read_only: bool) -> Any:
        raise NotImplementedError

    def options(self) -> SimpleNamespace:
        return SimpleNamespace(check_mode=self.check_mode, diff=getattr(self, "_diff", False), **self.params)

    def run(self, work: Callable[[Any, SimpleNamespace], Dict[str, Any]], check_input: Optional[Callable[[SimpleNamespace], None]] = None) -> None:
        """Clean the input, build the client, do the work, and exit with its result or one clear error.

        ``work`` returns the result fields; an ``error`` field that is not None makes the module fail
        with that message while keeping the other fields; ``diff`` is returned only under --diff.
        ``check_input`` raises InputError for option combinations the argument spec cannot express.
        The client is read-only unless the module writes and is not in check mode.
        """
        try:
            for warning in warnings_of(apply_cleaners(self.params, self._cleaners)):
                self.warn(warning)
            options = self.options()
            if check_input is not None:
                check_input(options)
            client = self.build_client(read_only=not self.writes or self.check_mode)
        except InputError as exc:
            self.fail_json(msg=str(exc))
        try:
            result = work(client, options)
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
