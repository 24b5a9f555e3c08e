"""Checks of the collection's metadata: galaxy.yml, meta/runtime.yml and the requirements files."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = REPO_ROOT / "plugins" / "modules"
FQCN_PREFIX = "assetops.licensing."

# https://semver.org/#is-there-a-suggested-regular-expression-regex-to-check-a-semver-string
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# Tags Automation Hub accepts as a collection's category (ansible-lint's galaxy[tags] rule).
APPROVED_TAGS = {
    "application", "cloud", "database", "eda", "infrastructure", "linux", "monitoring",
    "networking", "security", "storage", "tools", "windows",
}
REQUIRED_ACTION_GROUPS = ("vpp", "reseller")
REQUIREMENTS_FILES = ("requirements.txt", "requirements-dev.txt", "meta/ee-requirements.txt")


def _load_yaml(relative: str):
    with open(REPO_ROOT / relative, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def galaxy() -> dict:
    return _load_yaml("galaxy.yml")


@pytest.fixture(scope="module")
def runtime() -> dict:
    return _load_yaml("meta/runtime.yml")


def _action_group_modules() -> list[tuple[str, str]]:
    runtime = _load_yaml("meta/runtime.yml") or {}
    pairs = []
    for group, members in sorted((runtime.get("action_groups") or {}).items()):
        for member in members or []:
            if isinstance(member, str):  # a dict entry is `metadata: {extend_group: ...}`
                pairs.append((group, member))
    return pairs


# --- galaxy.yml -------------------------------------------------------------------------------


def test_galaxy_identity(galaxy):
    assert galaxy["namespace"] == "assetops"
    assert galaxy["name"] == "licensing"


def test_galaxy_version_is_semver(galaxy):
    version = galaxy["version"]
    assert isinstance(version, str), f"version must be a quoted string, got {version!r}"
    assert SEMVER.match(version), f"version {version!r} is not semantic versioning"


@pytest.mark.parametrize("field", ["readme", "authors", "description", "license", "tags", "repository", "documentation"])
def test_galaxy_required_field_present(galaxy, field):
    assert galaxy.get(field), f"galaxy.yml: {field} is missing or empty"


def test_galaxy_license(galaxy):
    licenses = galaxy["license"]
    assert isinstance(licenses, list), "license must be a list of SPDX identifiers"
    assert licenses == ["GPL-3.0-or-later"]
    assert not galaxy.get("license_file"), "use license or license_file, not both"


def test_galaxy_tags(galaxy):
    tags = galaxy["tags"]
    assert APPROVED_TAGS & set(tags), f"no approved tag among {tags}; add one of {sorted(APPROVED_TAGS)}"
    assert len(tags) <= 20
    for tag in tags:
        # Galaxy's own constraint on tags
        assert re.fullmatch(r"[a-z0-9_]{1,64}", tag), f"invalid tag {tag!r}"


@pytest.mark.parametrize("field", ["repository", "documentation", "homepage", "issues"])
def test_galaxy_urls(galaxy, field):
    if field not in galaxy:
        pytest.skip(f"{field} not set (optional)")
    assert re.match(r"^https://\S+$", galaxy[field]), f"{field}: {galaxy[field]!r} is not an https URL"


def test_galaxy_readme_exists(galaxy):
    readme = REPO_ROOT / galaxy["readme"]
    if not readme.is_file():
        pytest.xfail(f"{galaxy['readme']} not written yet (ansible-galaxy collection build needs it)")
    assert readme.stat().st_size > 0


# --- meta/runtime.yml -------------------------------------------------------------------------


def test_runtime_requires_ansible(runtime):
    requires = runtime.get("requires_ansible")
    assert requires, "meta/runtime.yml needs requires_ansible"
    spec = SpecifierSet(requires)
    assert any(s.operator == ">=" for s in spec), f"requires_ansible {requires!r} has no lower bound"


@pytest.mark.parametrize("group", REQUIRED_ACTION_GROUPS)
def test_runtime_action_group_defined(runtime, group):
    groups = runtime.get("action_groups") or {}
    assert group in groups, f"action group {group!r} missing from meta/runtime.yml"
    assert isinstance(groups[group], list), f"action group {group!r} must be a list"


@pytest.mark.parametrize(("group", "module"), _action_group_modules(), ids=str)
def test_action_group_module_exists(group, module):
    short = module[len(FQCN_PREFIX):] if module.startswith(FQCN_PREFIX) else module
    assert "." not in short, f"{group}: {module!r} belongs to another collection"
    assert (MODULES_DIR / f"{short}.py").is_file(), f"{group}: plugins/modules/{short}.py does not exist"


def _module_names() -> list[str]:
    return sorted(path.stem for path in MODULES_DIR.glob("*.py") if path.stem != "__init__")


@pytest.mark.parametrize("module", _module_names())
def test_every_module_is_in_its_action_group(module):
    group = module.split("_", 1)[0]  # vpp_* -> vpp, reseller_* -> reseller
    members = {member for grouped, member in _action_group_modules() if grouped == group}
    assert module in members, f"plugins/modules/{module}.py is not in meta/runtime.yml's action group {group!r}"


def _readme_modules() -> set[str]:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `assetops\.licensing\.(\w+)` \|", text, flags=re.MULTILINE))


def test_readme_module_table_lists_every_module_and_no_other():
    listed = _readme_modules()
    assert listed, "the README's module table is gone"
    assert sorted(listed - set(_module_names())) == [], "the README lists modules that do not exist"
    assert sorted(set(_module_names()) - listed) == [], "modules missing from the README's module table"


# --- requirements files -----------------------------------------------------------------------


def _requirement_lines(relative: str) -> list[str]:
    lines = []
    for raw in (REPO_ROOT / relative).read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#") and not line.startswith("-"):  # -r/-c includes
            lines.append(line)
    return lines


@pytest.mark.parametrize("relative", REQUIREMENTS_FILES)
def test_requirements_use_ranges(relative):
    lines = _requirement_lines(relative)
    assert lines, f"{relative} lists no requirement"
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:  # pragma: no cover - message is the point
            pytest.fail(f"{relative}: cannot parse {line!r}: {exc}")
        operators = {spec.operator for spec in requirement.specifier}
        assert not operators & {"==", "==="}, f"{relative}: {line!r} pins a version; use a range"
        assert operators & {">=", "~=", ">"}, f"{relative}: {line!r} has no lower bound"


def test_execution_environment_points_at_requirements():
    ee = _load_yaml("meta/execution-environment.yml")
    python_requirements = ee["dependencies"]["python"]
    assert (REPO_ROOT / python_requirements).is_file()
    assert python_requirements in REQUIREMENTS_FILES
