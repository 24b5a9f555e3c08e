"""docs/reliability.md must be the rendering of the suite's case tables."""
from __future__ import annotations

from tests.reliability import report


def test_every_section_has_rows():
    found = report.sections()
    assert found, "no test module of tests/reliability defines REPORT"
    for section in found:
        assert section.rows, "section {0!r} has no rows".format(section.title)


def test_reliability_doc_is_current():
    expected = report.render()
    actual = report.DOC.read_text() if report.DOC.exists() else ""
    assert actual == expected, "docs/reliability.md is out of date: run python -m tests.reliability.report --write"
