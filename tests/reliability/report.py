"""docs/reliability.md, rendered from the case tables of the reliability suite.

Every test module of this folder whose cases belong in the report defines ``REPORT``, a
:class:`Section` built from the same table its tests are parametrized over, so a row cannot say
something its test does not assert. ``test_report.py`` fails when docs/reliability.md differs from
the rendering; ``python -m tests.reliability.report --write`` renews the file.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Sequence

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DOC = REPO_ROOT / "docs" / "reliability.md"

HEADER = """# Reliability and security

This file is generated from the case tables of `tests/reliability/` by
`python -m tests.reliability.report --write`; `make test` (step `reliability`) fails when it is out
of date. Every row is a test that runs real `ansible-playbook` or `ansible` against the simulator
in `tests/simulator/` and asserts the outcome written here.
"""


@dataclass(frozen=True)
class Section:
    """One table of the report. ``order`` sorts the sections; rows are lists of cell strings."""

    order: int
    title: str
    intro: str
    columns: Sequence[str]
    rows: List[Sequence[str]] = field(default_factory=list)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def sections() -> List[Section]:
    found = []
    for path in sorted(HERE.glob("test_*.py")):
        module = importlib.import_module("tests.reliability." + path.stem)
        section = getattr(module, "REPORT", None)
        if section is not None:
            found.append(section)
    return sorted(found, key=lambda section: (section.order, section.title))


def render() -> str:
    parts = [HEADER]
    for section in sections():
        parts.append("\n## {0}\n\n{1}\n".format(section.title, section.intro.strip()))
        parts.append("\n| " + " | ".join(section.columns) + " |")
        parts.append("|" + "---|" * len(section.columns))
        for row in section.rows:
            if len(row) != len(section.columns):
                raise ValueError("{0}: row {1!r} does not have {2} cells".format(section.title, row, len(section.columns)))
            parts.append("| " + " | ".join(_cell(cell) for cell in row) + " |")
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write docs/reliability.md instead of checking it")
    args = parser.parse_args(argv)
    text = render()
    if args.write:
        DOC.write_text(text)
        print("wrote {0}".format(DOC.relative_to(REPO_ROOT)))
        return 0
    if not DOC.exists() or DOC.read_text() != text:
        print("{0} is out of date: run python -m tests.reliability.report --write".format(DOC.relative_to(REPO_ROOT)))
        return 1
    return 0


if __name__ == "__main__":
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main(sys.argv[1:]))
