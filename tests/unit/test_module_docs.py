"""Every module's argument spec against its documentation, as users read it (ansible-doc, fragments merged).

DOCUMENTATION is the source users read; the spec is what runs. They must agree on the option names,
types, element types, defaults, choices, ``required``, ``no_log`` secrets and suboptions, and every
environment fallback must be documented as ``E(NAME)`` in the option's description (and the other way
round for "Falls back to" sentences).
"""
from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils import basic

from ansible_collections.assetops.licensing.plugins.module_utils.vpp.module import TOKEN_ENVIRONMENT
from tests.conftest import COLLECTIONS_ROOT

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
ANSIBLE_DOC = Path(sys.executable).parent / "ansible-doc"
FALLS_BACK = re.compile(r"[Ff]alls back to (?:the )?((?:E\(\w+\)(?:,? (?:or |and )?)?)+)")


class _Captured(Exception):
    """Raised instead of building the module: carries the keyword arguments AnsibleModule got."""


def argument_spec(module: str) -> dict:
    """The argument spec module ``module`` hands to AnsibleModule (the way validate-modules finds it)."""
    code = importlib.import_module("ansible_collections.assetops.licensing.plugins.modules." + module)

    def capture(self, *args, **kwargs):  # pylint: disable=unused-argument
        raise _Captured(kwargs)

    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = capture
    try:
        code.main()
    except _Captured as captured:
        return captured.args[0]["argument_spec"]
    finally:
        basic.AnsibleModule.__init__ = original
    raise AssertionError("{0}.main() never built its module".format(module))


@pytest.fixture(scope="module")
def docs() -> dict:
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS_ROOT), ANSIBLE_NOCOLOR="1")
    names = ["assetops.licensing." + module for module in MODULES]
    out = subprocess.run([str(ANSIBLE_DOC), "-t", "module", "-j"] + names, env=env, check=True, capture_output=True, text=True).stdout
    return {name.split(".")[-1]: entry["doc"] for name, entry in json.loads(out).items()}


def _normal(value):
    """YAML and Python spell some values differently (30 vs 30.0); compare them as the module would."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def compare(path: str, spec: dict, documented: dict, problems: list, resolved_env: dict = None) -> None:
    """Add to ``problems`` every difference; ``resolved_env``: option -> env var read by code, not by the spec."""
    for name in sorted(set(spec) - set(documented)):
        problems.append("{0}{1}: in the argument spec, not documented".format(path, name))
    for name in sorted(set(documented) - set(spec)):
        problems.append("{0}{1}: documented, not in the argument spec".format(path, name))
    for name in sorted(set(spec) & set(documented)):
        option, doc = spec[name], documented[name]
        where = path + name
        for key, default in (("type", "str"), ("elements", None), ("default", None), ("choices", None), ("required", False)):
            in_spec, in_doc = _normal(option.get(key, default)), _normal(doc.get(key, default))
            if key == "choices" and in_spec is not None and in_doc is not None:
                in_spec, in_doc = sorted(in_spec), sorted(in_doc)
            if in_spec != in_doc:
                problems.append("{0}: {1} is {2!r} in the spec, {3!r} in the docs".format(where, key, in_spec, in_doc))
        description = " ".join(doc.get("description") if isinstance(doc.get("description"), list) else [doc.get("description") or ""])
        fallback = option.get("fallback")
        spec_env = set(fallback[1]) if fallback else set()
        if not path and name in (resolved_env or {}):
            spec_env.add(resolved_env[name])
        documented_env = {env for group in FALLS_BACK.findall(description) for env in re.findall(r"E\((\w+)\)", group)}
        if spec_env != documented_env:
            problems.append("{0}: environment fallbacks {1} in the spec, {2} in the docs".format(where, sorted(spec_env), sorted(documented_env)))
        if "options" in option or "suboptions" in doc:
            compare(where + ".", option.get("options") or {}, doc.get("suboptions") or {}, problems)


@pytest.mark.parametrize("module", MODULES)
def test_spec_and_documentation_agree(module, docs):
    problems: list = []
    compare("", argument_spec(module), docs[module]["options"], problems, TOKEN_ENVIRONMENT if module.startswith("vpp_") else None)
    assert problems == []


def test_the_comparison_finds_a_difference():
    """The check itself can fail: a wrong type, a missing option and an undocumented fallback are all found."""
    problems: list = []
    spec = {"a": {"type": "int"}, "b": {"type": "str", "fallback": (None, ["B_ENV"])}}
    documented = {"a": {"type": "str", "description": "x"}, "b": {"description": "Falls back to E(OTHER)."}, "c": {"description": "y"}}
    compare("", spec, documented, problems)
    assert problems == [
        "c: documented, not in the argument spec",
        "a: type is 'int' in the spec, 'str' in the docs",
        "b: environment fallbacks ['B_ENV'] in the spec, ['OTHER'] in the docs",
    ]
