"""The license report's HTML page in a real browser: Debian's headless Chromium (``make system-packages``).

The role writes the report of tests/simulator/data/license_report.json (with holders); Chromium then opens the
file while the simulator still runs, so the icons load from it (127.0.0.1) as they would from Apple. The rendered
DOM must show the names, counts, low marks and the token warning; a screenshot must be a PNG of exactly the
window's size with something on it. No Chromium is a failure that says how to install it, not a skip.
"""
from __future__ import annotations

import json
import re
import tempfile
from html import unescape
from pathlib import Path

import pytest

from tests.simulator.control import SimulatorProcess
from tests.utils.report_browser import MISSING, dump_dom, find_chromium, looked_for, png_pixels, screenshot, variance
from tests.utils.report_screenshot import LOCATION, SEED, write_report

STEM = "riverside-middle-school-licenses"


@pytest.fixture(scope="module")
def report():
    """(the HTML file, the JSON report) written by the role; the simulator runs until the module's tests end."""
    with tempfile.TemporaryDirectory(prefix="assetops-report-test-") as workdir, SimulatorProcess(SEED) as sim:
        folder = Path(workdir) / "reports"
        folder.mkdir()
        done = write_report(sim, LOCATION, folder, Path(workdir), {"license_report_holders": True})
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        yield folder / (STEM + ".html"), json.loads((folder / (STEM + ".json")).read_text())


@pytest.fixture(scope="module")
def chromium():
    found = find_chromium()
    if found is None:
        pytest.fail(MISSING.format(looked_for()), pytrace=False)
    return found


def text(fragment: str) -> str:
    """The visible text of an HTML fragment, spaces collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


@pytest.mark.integration
def test_rendered_dom(chromium, report):  # pylint: disable=redefined-outer-name,unused-argument
    html, data = report
    dom = dump_dom(html)
    rows = re.findall(r'<tr class="asset( low)?" id="asset-(\d+)-(STDQ|PLUS)">(.*?)</tr>', dom, re.S)
    assert [(adam_id, pricing) for _low, adam_id, pricing, _cells in rows] == [
        (asset["adam_id"], asset["pricing_param"]) for asset in data["assets"]]
    cells = {(adam_id, pricing): cells for _low, adam_id, pricing, cells in rows}
    assert [key for low, *key, _cells in rows if low] == [["1800000101", "STDQ"], ["1800000001", "STDQ"]]
    for low, adam_id, pricing, row in rows:
        assert ('<span class="low-mark">low</span>' in row) == bool(low), adam_id

    def cell(key, name):
        return text(re.search(r'<td class="[^"]*\b{0}\b[^"]*">(.*?)</td>'.format(name), cells[key], re.S).group(1))

    math = ("1800000001", "STDQ")
    assert text(re.search(r'<span class="name">(.*?)</span>', cells[math]).group(1)) == "Math Explorer"
    assert (cell(math, "assigned"), cell(math, "available"), cell(math, "total")) == ("38", "2", "40")
    assert re.search(r'<img class="icon" src="http://127\.0\.0\.1:\d+/artwork/1800000001/[^"]+" alt="Math Explorer"', cells[math])
    assert 'aria-label="38 of 40 assigned"' in cells[math]
    paint = ("1800000004", "STDQ")
    assert text(re.search(r'<span class="name">(.*?)</span>', cells[paint]).group(1)) == 'Paint & Draw, "Studio" <Edition>'
    unknown = ("1800000006", "STDQ")
    assert text(re.search(r'<span class="name">(.*?)</span>', cells[unknown]).group(1)) == "1800000006"
    assert '<svg class="icon"' in cells[unknown] and "<img" not in cells[unknown]
    assert "custom app" in text(cells[("1800000005", "STDQ")])
    free = ("1800000201", "STDQ")
    assert (cell(free, "available"), cell(free, "total")) == ("unlimited", "free")
    assert "<details><summary>20 devices, 6 users</summary>" in cells[("1800000007", "STDQ")]
    assert "<details open" not in dom  # the holders stay collapsed
    warning = text(re.search(r'<p class="warning" id="token-warning">(.*?)</p>', dom, re.S).group(1))
    days = data["location"]["token_days_left"]
    assert warning.startswith("Warning: the content token expires in {0} days ({1})".format(
        days, data["location"]["token_expiration_date"][:10])), warning
    totals = text(re.search(r'<ul class="totals">(.*?)</ul>', dom, re.S).group(1))
    assert "12 assets (10 apps, 2 books)" in totals and "2 low" in totals
    assert "{0} of {1} available".format(data["totals"]["available"], data["totals"]["total"]) in totals
    assert "<script" not in dom


@pytest.mark.integration
def test_screenshot(chromium, report, tmp_path):  # pylint: disable=redefined-outer-name,unused-argument
    html, _data = report
    width, height = 1100, 900
    png = screenshot(html, tmp_path / "report.png", width, height)
    seen_width, seen_height, grey = png_pixels(png)
    assert (seen_width, seen_height) == (width, height)
    assert variance(grey) > 100, "the screenshot is (nearly) blank"
    # text, bars and icons: more than a few stray pixels darker than the page's light greys
    dark = sum(1 for value in grey if value < 160)
    assert dark > width * height // 100, "too little on the page: {0} dark pixels".format(dark)
