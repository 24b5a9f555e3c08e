"""Run ``ansible-test sanity --venv`` on a copy of this checkout, offline, with no ignore files.

Usage (from the repository root, with the dev venv's Python)::

    .venv/bin/python tests/utils/sanity.py [extra ansible-test sanity arguments]

What it does:

1. Picks the Python/ansible-core that runs ansible-test, newest first: a CPython 3.13 or 3.12
   from pyenv's versions folder ($PYENV_ROOT or ~/.pyenv; called by full path because the pyenv
   shims on PATH may be broken) gets its own venv ``.venv-sanity`` with the newest
   ansible-core below 2.22. Without one, it falls back to the interpreter running this script
   (the dev venv, ansible-core from requirements-dev.txt) and says so.
2. Writes an offline stand-in for ansible-test's get-pip bootstrap script into
   ``~/.ansible/test/cache/get_pip_<ver>.py`` (ansible-test downloads the real one from a host
   these machines cannot reach). The pip wheel of the version ansible-test pins is fetched
   once with ``pip download`` and kept in the same cache folder.
3. Copies the files git knows (tracked plus untracked, non-ignored; minus ``.ci/``) into a fresh
   ``<tmp>/ansible_collections/assetops/licensing`` tree: ansible-test insists that the real
   path of its working directory ends like that.
4. Runs ``ansible-test sanity --venv --python <X.Y>`` there and exits with its exit code.

Environment knobs: ``SANITY_FORCE_DEV_VENV=1`` skips step 1's pyenv search;
``SANITY_KEEP_TREE=1`` keeps the temporary copy (its path is printed).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMESPACE = "assetops"
NAME = "licensing"
REPO_ROOT = Path(__file__).resolve().parents[2]
SANITY_VENV = REPO_ROOT / ".venv-sanity"
# Newest ansible-core this collection is tested against (ansible-core 2.20+ needs Python 3.12+).
SANITY_CORE_SPEC = "ansible-core>=2.20,<2.22"
PREFERRED_MINORS = ("3.13", "3.12")
CACHE_DIR = Path.home() / ".ansible" / "test" / "cache"
EXCLUDED_PREFIXES = (".ci/",)

SHIM_TEMPLATE = '''\
"""Offline stand-in for get-pip.py {version}, written by assetops.licensing tests/utils/sanity.py.

ansible-test runs this as: get_pip <common pip options> pip=={version} --no-setuptools --no-wheel
It installs pip from the wheel next to this file instead of downloading get-pip.py.
"""
import os
import sys

WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), {wheel!r})
sys.path.insert(0, WHEEL)

from pip._internal.cli.main import main  # noqa: E402  (imported from the wheel)

ARGS = [
    arg for arg in sys.argv[1:]
    if arg not in ("--no-setuptools", "--no-wheel") and not arg.startswith("pip==")
]
sys.exit(main(["install", "--upgrade", "--force-reinstall", WHEEL] + ARGS))
'''


def log(message: str) -> None:
    print(f"[sanity] {message}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(part) for part in cmd))
    return subprocess.run([str(part) for part in cmd], check=True, **kwargs)


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split("."))


def find_pyenv_python() -> Path | None:
    """Return the newest working CPython 3.13 or 3.12 from pyenv's versions folder, if any."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions_dir = pyenv_root / "versions"
    if not versions_dir.is_dir():
        return None
    for minor in PREFERRED_MINORS:
        pattern = re.compile(rf"^{re.escape(minor)}\.\d+$")  # plain CPython only, no 3.13t / -dev
        candidates = sorted(
            (entry.name for entry in versions_dir.iterdir() if pattern.match(entry.name)),
            key=_version_key,
            reverse=True,
        )
        for name in candidates:
            interpreter = versions_dir / name / "bin" / f"python{minor}"
            if not os.access(interpreter, os.X_OK):
                continue
            probe = subprocess.run(
                [str(interpreter), "-c", "import venv, ensurepip, sys; print(sys.version)"],
                capture_output=True, text=True, check=False,
            )
            if probe.returncode == 0:
                return interpreter
    return None


def ensure_sanity_venv(interpreter: Path) -> Path:
    """Create or reuse .venv-sanity for ``interpreter``; return its python."""
    venv_python = SANITY_VENV / "bin" / "python"
    stamp = SANITY_VENV / ".assetops-sanity-stamp"
    wanted = f"{interpreter}\n{SANITY_CORE_SPEC}\n"
    if venv_python.exists() and stamp.exists() and stamp.read_text() == wanted:
        log(f"reusing {SANITY_VENV.name} ({SANITY_CORE_SPEC})")
        return venv_python
    log(f"creating {SANITY_VENV.name} with {interpreter} and {SANITY_CORE_SPEC}")
    if SANITY_VENV.exists():
        shutil.rmtree(SANITY_VENV)
    run([interpreter, "-m", "venv", SANITY_VENV])
    run([venv_python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         "--upgrade", "pip"])
    run([venv_python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
         SANITY_CORE_SPEC])
    stamp.write_text(wanted)
    return venv_python


def choose_python() -> Path:
    if os.environ.get("SANITY_FORCE_DEV_VENV"):
        log("SANITY_FORCE_DEV_VENV set: using the interpreter running this script")
        return Path(sys.executable)
    interpreter = find_pyenv_python()
    if interpreter is None:
        log("NOTE: no CPython 3.13/3.12 under pyenv's versions folder; falling back to "
            f"{sys.executable} (the dev venv's ansible-core)")
        return Path(sys.executable)
    try:
        return ensure_sanity_venv(interpreter)
    except subprocess.CalledProcessError as exc:
        log(f"NOTE: could not set up {SANITY_VENV.name} ({exc}); falling back to {sys.executable}")
        return Path(sys.executable)


def describe(python: Path) -> tuple[str, str, str]:
    """Return (python X.Y, ansible-core version, pinned pip version) for ``python``."""
    code = r"""
import re, sys, types
import ansible.release
try:
    from ansible_test._internal.python_requirements import get_venv_packages
    pip = get_venv_packages(types.SimpleNamespace(version='%d.%d' % sys.version_info[:2]))['pip']
except Exception:  # internal API moved: read the pin from the source instead
    import ansible_test, os
    path = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
    pip = re.search(r"pip='([0-9.]+)'", open(path).read()).group(1)
print('%d.%d' % sys.version_info[:2], ansible.release.__version__, pip)
"""
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir())
    py_version, core_version, pip_version = out.stdout.split()
    return py_version, core_version, pip_version


def ensure_get_pip_shim(python: Path, pip_version: str) -> None:
    """Put pip-<ver> wheel and the get_pip_<ver>.py stand-in into ansible-test's cache."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    wheels = sorted(CACHE_DIR.glob(f"pip-{pip_version}-*.whl"))
    if wheels:
        wheel = wheels[0]
        log(f"pip {pip_version} wheel cached: {wheel.name}")
    else:
        with tempfile.TemporaryDirectory(prefix="pip-wheel-") as tmp:
            run([python, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
                 "--no-deps", "--only-binary=:all:", "--dest", tmp, f"pip=={pip_version}"])
            downloaded = sorted(Path(tmp).glob(f"pip-{pip_version}-*.whl"))
            if not downloaded:
                raise SystemExit(f"pip download gave no wheel for pip=={pip_version}")
            wheel = CACHE_DIR / downloaded[0].name
            shutil.move(str(downloaded[0]), wheel)
        log(f"cached {wheel.name}")
    shim = CACHE_DIR / f"get_pip_{pip_version.replace('.', '_')}.py"
    text = SHIM_TEMPLATE.format(version=pip_version, wheel=wheel.name)
    if not shim.exists() or shim.read_text() != text:
        if shim.exists():
            log(f"replacing existing {shim.name} with the offline stand-in")
        shim.write_text(text)
    log(f"get-pip stand-in: {shim}")


def copy_checkout(dest: Path) -> int:
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    ).stdout.decode()
    count = 0
    for rel in sorted(set(filter(None, listing.split("\0")))):
        if rel.startswith(EXCLUDED_PREFIXES):
            continue
        src = REPO_ROOT / rel
        if not src.exists() and not src.is_symlink():  # deleted in the work tree, still in the index
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)
        count += 1
    return count


def main(argv: list[str]) -> int:
    started = time.monotonic()
    ignore_files = sorted(REPO_ROOT.glob("tests/sanity/ignore-*.txt"))
    if ignore_files:
        log("ERROR: this collection keeps no sanity ignore files; found: "
            + ", ".join(str(p.relative_to(REPO_ROOT)) for p in ignore_files))
        return 2

    python = choose_python()
    py_version, core_version, pip_version = describe(python)
    ansible_test = python.parent / "ansible-test"
    log(f"ansible-test from ansible-core {core_version} on Python {py_version} ({python.parent.parent.name})")
    ensure_get_pip_shim(python, pip_version)
    prepared = time.monotonic()

    tmp_root = Path(tempfile.mkdtemp(prefix="assetops-sanity-"))
    collection_dir = tmp_root / "ansible_collections" / NAMESPACE / NAME
    collection_dir.mkdir(parents=True)
    try:
        count = copy_checkout(collection_dir)
        log(f"copied {count} files to {collection_dir}")
        env = dict(os.environ)
        env["PATH"] = f"{python.parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("VIRTUAL_ENV", None)
        cmd = [str(ansible_test), "sanity", "--venv", "--python", py_version, *argv]
        log("$ " + " ".join(cmd))
        result = subprocess.run(cmd, cwd=collection_dir, env=env, check=False)
        code = result.returncode
    finally:
        if os.environ.get("SANITY_KEEP_TREE"):
            log(f"kept {tmp_root}")
        else:
            shutil.rmtree(tmp_root, ignore_errors=True)

    finished = time.monotonic()
    log(f"timing: setup {prepared - started:.1f}s, ansible-test {finished - prepared:.1f}s, "
        f"total {finished - started:.1f}s")
    log(f"ansible-test sanity exit code: {code}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
