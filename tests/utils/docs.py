"""Build and lint the documentation site of assetops.licensing, offline.

    python tests/utils/docs.py build   # site in docs/build/html (make docs)
    python tests/utils/docs.py lint    # antsibull-docs lint-collection-docs --plugin-docs . (make docs-lint)

``build`` runs what the build.sh of ``antsibull-docs sphinx-init`` runs, in a temporary folder:
``antsibull-docs sphinx-init`` (conf.py and the index), ``antsibull-docs collection --use-current
--squash-hierarchy`` (plugin pages plus the user guide of docs/docsite/extra-docs.yml), then
``sphinx-build -W --keep-going`` into docs/build/html. The generated conf.py is patched so that
nothing is fetched from the network (``intersphinx_mapping = {}``; references that intersphinx would
have resolved, such as ansible-core's own pages, are left as text with ``suppress_warnings``).
Both commands find the collection through a throw-away ``ansible_collections/assetops/licensing``
link to the checkout (tests/utils/collections_root.py). Tools come from the interpreter's venv.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collections_root import REPO_ROOT, make_collections_root  # noqa: E402

COLLECTION = "assetops.licensing"
BIN_DIR = Path(sys.executable).parent  # the venv's bin: `make docs` runs .venv/bin/python
BUILD_DIR = REPO_ROOT / "docs" / "build"
HTML_DIR = BUILD_DIR / "html"

CONF_PATCH = """

# --- added by tests/utils/docs.py: build offline ---
# No inventories are fetched; references into other docsites (ansible-core, Python) stay plain text.
intersphinx_mapping = {}
suppress_warnings = ['ref.ref']
"""


def tool(name: str) -> str:
    """Full path of a console script of the venv (fall back to PATH outside a venv)."""
    path = BIN_DIR / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        sys.exit(f"docs: {name} not found next to {sys.executable} nor on PATH; run `make venv`")
    return found


def tool_env(collections_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_root)
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"  # document this checkout, not an installed copy
    env["PATH"] = f"{BIN_DIR}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("ANSIBLE_NOCOLOR", "1")
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
    shown = " ".join(str(part) for part in cmd)
    print(f"docs: $ {shown}", flush=True)
    started = time.monotonic()
    rc = subprocess.call(cmd, env=env, cwd=cwd)
    print(f"docs:   exit {rc} after {time.monotonic() - started:.1f} s", flush=True)
    return rc


def private_dir(path: Path) -> Path:
    """antsibull-docs wants its destination folders owned by us and writable by no one else."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def build() -> int:
    started = time.monotonic()
    env = tool_env(make_collections_root())
    work = Path(tempfile.mkdtemp(prefix="assetops-docs-"))
    try:
        site = private_dir(work / "site")
        rc = run([
            tool("antsibull-docs"), "sphinx-init",
            "--use-current", "--squash-hierarchy", "--fail-on-error",
            "--project", COLLECTION,
            "--title", f"{COLLECTION} documentation",
            "--copyright", "assetops.licensing contributors",
            "--dest-dir", str(site), COLLECTION,
        ], env)
        if rc:
            return rc
        conf = site / "conf.py"
        conf.write_text(conf.read_text(encoding="utf-8") + CONF_PATCH, encoding="utf-8")

        rst = private_dir(site / "rst")
        rc = run([
            tool("antsibull-docs"), "--config-file", str(site / "antsibull-docs.cfg"), "collection",
            "--cleanup", "everything", "--fail-on-error",
            "--use-current", "--squash-hierarchy",
            "--dest-dir", str(rst), COLLECTION,
        ], env)
        if rc:
            return rc

        if HTML_DIR.exists():
            shutil.rmtree(HTML_DIR)
        BUILD_DIR.mkdir(parents=True, exist_ok=True)
        rc = run([
            tool("sphinx-build"), "-b", "html", "-c", str(site), "-W", "--keep-going", "-q",
            "-d", str(work / "doctrees"), str(rst), str(HTML_DIR),
        ], env)
        if rc:
            print("docs: FAILED: sphinx-build reported warnings or errors (see above)", file=sys.stderr)
            return rc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"docs: site built in {time.monotonic() - started:.1f} s: {HTML_DIR / 'index.html'}")
    return 0


def lint() -> int:
    env = tool_env(make_collections_root())
    rc = run([tool("antsibull-docs"), "lint-collection-docs", "--plugin-docs", "."], env, cwd=REPO_ROOT)
    print("docs-lint: " + ("no problems" if rc == 0 else f"FAILED (exit {rc})"))
    return rc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "lint"])
    args = parser.parse_args()
    return build() if args.command == "build" else lint()


if __name__ == "__main__":
    sys.exit(main())
