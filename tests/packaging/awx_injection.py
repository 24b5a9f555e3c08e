"""What AWX does with a custom credential type when it launches a job, re-done for tests.

Follows AWX's injection (awx.main.models.credential / awx_plugins.interfaces injectors): the template
namespace holds only the inputs that were given (empty ones are left out, so they render as ""), a
boolean field that was not given is False, every ``file`` injector is rendered into a private file
created with mkstemp under ``<private_data_dir>/env`` and its path is offered as
``tower.filename.<label>``, and every ``env`` injector is rendered with Jinja2's immutable sandbox.
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List, Tuple

import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.utils.collections_root import REPO_ROOT

CREDENTIAL_TYPES = REPO_ROOT / "extensions" / "awx" / "credential_types"


def load_credential_type(name: str) -> dict:
    return yaml.safe_load((CREDENTIAL_TYPES / (name + ".yml")).read_text(encoding="utf-8"))


def inject(credential_type: dict, inputs: Dict[str, object], private_data_dir: Path) -> Tuple[Dict[str, str], List[Path]]:
    """The environment variables AWX would set for a credential with these inputs, and the files it wrote."""
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    unknown = set(inputs) - set(fields)
    assert not unknown, "inputs not defined by the credential type: {0}".format(unknown)
    missing = [name for name in credential_type["inputs"].get("required", []) if not inputs.get(name)]
    assert not missing, "required inputs missing: {0}".format(missing)

    namespace: Dict[str, object] = {}
    for name, value in inputs.items():
        if isinstance(value, bool) or value:
            namespace[name] = value
    for name, field in fields.items():
        if field["type"] == "boolean" and name not in inputs:
            namespace[name] = False

    sandbox = ImmutableSandboxedEnvironment()
    env_dir = private_data_dir / "env"
    env_dir.mkdir(parents=True, exist_ok=True)
    written: List[Path] = []
    single, named = None, {}
    for label, template in credential_type["injectors"].get("file", {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, "w") as stream:
            stream.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        written.append(Path(path))
        if "." in label:
            named[label.split(".", 1)[1]] = path
        else:
            single = path
    namespace["tower"] = SimpleNamespace(filename=single or SimpleNamespace(**named))

    env = {name: sandbox.from_string(template).render(**namespace)
           for name, template in credential_type["injectors"].get("env", {}).items()}
    return env, written
