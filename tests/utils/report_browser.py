"""Headless Chromium for the license report: the rendered DOM, a screenshot, and what a PNG holds.

Debian's ``chromium`` package (``make system-packages``) at /usr/bin/chromium, or CHROMIUM=/path. Every run
gets a fresh profile folder, no network services of its own, and a bounded time; a page that needs more
than ``timeout`` seconds fails the run.
"""
from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import List, Optional, Tuple

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--force-device-scale-factor=1"]
MISSING = "Chromium is missing (looked for {0}): install it with `make system-packages` (Debian's chromium package)"


def looked_for() -> str:
    """Where find_chromium looked, for MISSING."""
    return os.environ.get("CHROMIUM") or ", ".join(CHROMIUM_PATHS) + " and PATH"


def find_chromium() -> Optional[str]:
    """The chromium binary: CHROMIUM when set (only it), else Debian's, else one on PATH; None when there is none."""
    chosen = os.environ.get("CHROMIUM")
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    for candidate in CHROMIUM_PATHS:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(arguments: List[str], timeout: float) -> subprocess.CompletedProcess:
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError(MISSING.format(looked_for()))
    with tempfile.TemporaryDirectory(prefix="assetops-chromium-") as profile:
        env = dict(os.environ, HOME=profile)  # no dconf/crashpad files in the user's home
        return subprocess.run([chromium, *FLAGS, "--user-data-dir=" + profile, *arguments], env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)


def dump_dom(html: Path, timeout: float = 60) -> str:
    """The DOM after the page has loaded, as Chromium serialises it."""
    done = _run(["--dump-dom", Path(html).resolve().as_uri()], timeout)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError("chromium --dump-dom exit {0}: {1}".format(done.returncode, done.stderr[-2000:]))
    return done.stdout


def screenshot(html: Path, png: Path, width: int, height: int, timeout: float = 60) -> Path:
    """A PNG of the page's first width x height pixels."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    if png.exists():
        png.unlink()
    done = _run(["--screenshot=" + str(png), "--window-size={0},{1}".format(width, height), Path(html).resolve().as_uri()], timeout)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError("chromium --screenshot exit {0}: {1}".format(done.returncode, done.stderr[-2000:]))
    return png


def png_pixels(png: Path) -> Tuple[int, int, List[int]]:
    """(width, height, grey level of every pixel) of an 8-bit RGB or RGBA PNG, read with zlib only."""
    data = Path(png).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("{0} is not a PNG".format(png))
    position, chunks, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    if depth != 8 or colour not in (2, 6):
        raise ValueError("{0}: only 8-bit RGB/RGBA PNGs are read here (depth {1}, colour type {2})".format(png, depth, colour))
    channels = 3 if colour == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(chunks))
    previous = bytearray(stride)
    grey: List[int] = []
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for index in range(stride):  # undo the PNG filter of this line
            left = line[index - channels] if index >= channels else 0
            up, corner = previous[index], previous[index - channels] if index >= channels else 0
            if kind == 1:
                line[index] = (line[index] + left) & 0xFF
            elif kind == 2:
                line[index] = (line[index] + up) & 0xFF
            elif kind == 3:
                line[index] = (line[index] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up), (abs(guess - corner), 2, corner))[2]
                line[index] = (line[index] + near) & 0xFF
        grey.extend((line[index] + line[index + 1] + line[index + 2]) // 3 for index in range(0, stride, channels))
        previous = line
    return width, height, grey


def variance(values: List[int]) -> float:
    mean = sum(values) / len(values)
    return sum((value - mean) ** 2 for value in values) / len(values)
