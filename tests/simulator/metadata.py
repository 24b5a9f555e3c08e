"""Apple's content metadata lookup (names, bundle ids, versions, icons) and the icons themselves.

The lookup is ``urls.contentMetadataLookup`` of /service/config; the query is
``version=2&id=<adamId>&p=mdm-lockup&caller=MDM&platform=<volumestore|enterprisestore>&cc=<cc>&l=<lang>``
and the answer ``{"results": {"<adamId>": {...}}}``. An asset's metadata comes from the ``metadata``
block of its seed entry; an id without one answers empty results (200), as Apple does for an unknown id.
A custom (B2B) app answers only when the cookie ``itvt`` holds the sToken of a location that holds it;
without it the results are empty too. The cookie travels in a header, which the request log never keeps; a
lookup with a location's cookie counts against that location's rate limit and in its peak figures.

Icons: the artwork URL template points back at this server (``/artwork/<adamId>/{w}x{h}bb.{f}``):
``png``, ``jpg`` and ``jpeg`` answer a PNG (a square in the app's colour), ``svg`` an SVG with the
app's initial. Nothing is fetched from the network.
"""
from __future__ import annotations

import hashlib
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from .core import ApiHalf, Caller, Settings
from .state import SeedError
from .tokens import decode_stoken

LOOKUP_PREFIX = "/WebObjects/MZStorePlatform.woa/wa"
LOOKUP_PATH = LOOKUP_PREFIX + "/lookup"
ARTWORK_PREFIX = "/artwork"
PLATFORMS = ("volumestore", "enterprisestore")
COOKIE = "itvt"
ICON_FORMATS = {"png": "image/png", "jpg": "image/png", "jpeg": "image/png", "svg": "image/svg+xml"}
MAX_ICON_SIDE = 1024
_ICON_SIZE = re.compile(r"^(\d{1,4})x(\d{1,4})bb\.([a-z]+)$")
_COUNTRY = re.compile(r"^[a-z]{2}$")
_PLATFORM_FAMILIES = {"iOS": ["iphone", "ipad"], "macOS": ["mac"], "tvOS": ["tvos"], "watchOS": ["watch"], "visionOS": ["realityDevice"]}
METADATA_KEYS = frozenset(("name", "bundleId", "artistName", "version", "customApp", "deviceFamilies", "color", "releaseDate"))


@dataclass
class AppMetadata:
    """What the store knows of one adamId, and which locations (inner tokens) may see it when it is a custom app."""

    adam_id: str
    name: str
    bundle_id: str
    artist_name: str
    version: str
    product_type: str
    custom_app: bool
    device_families: list[str]
    color: str
    release_date: str
    holders: set[str] = field(default_factory=set)

    def record(self, artwork_template: str) -> dict[str, Any]:
        """The answer's record, with the keys Apple's lookup has for an MDM."""
        is_book = self.product_type == "Book"
        record: dict[str, Any] = {
            "id": self.adam_id,
            "name": self.name,
            "artistName": self.artist_name,
            "artwork": {"url": artwork_template, "width": 1024, "height": 1024, "bgColor": self.color.lstrip("#")},
            "deviceFamilies": list(self.device_families),
            "isB2BCustomApp": self.custom_app,
            "kind": "ebook" if is_book else ("mac-software" if self.device_families == ["mac"] else "iosSoftware"),
            "offers": [{"version": {"display": self.version}, "type": "get"}],
            "releaseDate": self.release_date,
            "url": f"https://apps.apple.com/us/{'book' if is_book else 'app'}/id{self.adam_id}",
        }
        if not is_book:
            record["bundleId"] = self.bundle_id
        return record


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower()) or "app"


def _default_color(adam_id: str) -> str:
    return "#" + hashlib.sha256(adam_id.encode("ascii")).hexdigest()[:6]


def _metadata_from(spec: dict[str, Any], location_token: str, number: int | None = None) -> AppMetadata | None:
    block = spec.get("metadata")
    if block is None:
        return None
    if not isinstance(block, dict) or not isinstance(block.get("name"), str) or not block["name"]:
        raise SeedError(f"asset {spec.get('adamId')}: metadata needs a name")
    unknown = set(block) - METADATA_KEYS
    if unknown:
        raise SeedError(f"asset {spec.get('adamId')}: unknown metadata keys {sorted(unknown)}; known: {sorted(METADATA_KEYS)}")
    product_type = spec.get("productType", "App")
    name = block["name"] if number is None else f"{block['name']} {number}"
    platforms = spec.get("supportedPlatforms", ["iOS"] if product_type == "App" else ["iOS", "macOS"])
    families = block.get("deviceFamilies") or [family for platform in platforms for family in _PLATFORM_FAMILIES.get(platform, [])]
    adam_id = str(spec["adamId"])
    return AppMetadata(
        adam_id=adam_id, name=name, bundle_id=block.get("bundleId") or f"com.example.{_slug(name)}",
        artist_name=block.get("artistName", "Example Developer"), version=str(block.get("version", "1.0")),
        product_type=product_type, custom_app=bool(block.get("customApp", False)), device_families=list(families),
        color=block.get("color") or _default_color(adam_id), release_date=block.get("releaseDate", "2024-01-15"),
        holders={location_token},
    )


def catalogue_from_seed(seed: dict[str, Any]) -> dict[str, AppMetadata]:
    """adamId -> metadata, from the ``metadata`` blocks of every location's assets (generated ones number their names)."""
    catalogue: dict[str, AppMetadata] = {}

    def add(item: AppMetadata | None) -> None:
        if item is None:
            return
        known = catalogue.get(item.adam_id)
        if known is None:
            catalogue[item.adam_id] = item
        else:
            known.holders |= item.holders

    for location in (seed.get("vpp") or {}).get("locations", []):
        token = (location.get("token") or {}).get("token", "")
        for spec in location.get("assets", []):
            add(_metadata_from(spec, token))
        for generated in (location.get("generate") or {}).get("assets", []):
            start = int(generated["adamIdStart"])
            for offset in range(int(generated["count"])):
                add(_metadata_from({**generated, "adamId": str(start + offset)}, token, offset + 1))
    return catalogue


class MetadataApi(ApiHalf):
    """The lookup route under ``LOOKUP_PREFIX``. ``apple`` is the Apple half, whose locations the cookie names."""

    name = "metadata"
    prefix = LOOKUP_PREFIX

    def __init__(self, apple: Any) -> None:
        super().__init__()
        self.apple = apple
        self.catalogue: dict[str, AppMetadata] = {}

    def load(self, seed: dict[str, Any], settings: Settings) -> None:
        self.settings = settings
        self.catalogue = catalogue_from_seed(seed)

    def routes(self) -> list[BaseRoute]:
        return [Route("/lookup", self.lookup)]

    def error_response(self, status: int, number: int | None, message: str | None = None) -> Response:
        return JSONResponse({"errorMessage": message or "error", "errorNumber": number}, status_code=status)

    def state(self) -> dict[str, Any]:
        return {"apps": sorted(self.catalogue)}

    def _cookie_location(self, headers: Headers) -> Any:
        """The location whose whole sToken the cookie holds, if it is a usable one."""
        value = cookie_parser(headers.get("cookie", "")).get(COOKIE)
        if not value:
            return None
        try:
            inner = decode_stoken(value.strip()).token
        except ValueError:
            return None
        location = self.apple.world.by_token(inner)
        if location is None or location.revoked or location.expired():
            return None
        return location

    def caller(self, path: str, headers: Headers) -> Caller | None:
        """A lookup with a location's cookie counts for that location (rate limit, peak figures), as the client paces it."""
        location = self._cookie_location(headers)
        return Caller(location.uid, location.name) if location else None

    def too_many_requests(self) -> Response:
        return self.error_response(429, 9646, "Too many requests")

    async def lookup(self, request: Request) -> Response:
        query = request.query_params
        problems = [name for name, ok in (
            ("version", query.get("version") == "2"), ("p", query.get("p") == "mdm-lockup"), ("caller", query.get("caller") == "MDM"),
            ("platform", query.get("platform") in PLATFORMS), ("cc", bool(_COUNTRY.match(query.get("cc", "")))),
            ("l", bool(query.get("l"))), ("id", query.get("id", "").isdigit()),
        ) if not ok]
        if problems:
            # Apple's answer to a malformed query is not documented: the simulator refuses it so a client's mistake shows
            # (a comma-separated id list included, which is UNCONFIRMED).
            return self.error_response(400, None, f"bad lookup query: {', '.join(problems)}")
        adam_id = query["id"]
        item = self.catalogue.get(adam_id)
        location = self._cookie_location(request.headers)
        if item is None or (item.custom_app and (location is None or location.token not in item.holders)):
            return JSONResponse({"results": {}})
        base = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse({"results": {adam_id: item.record(f"{base}{ARTWORK_PREFIX}/{adam_id}/{{w}}x{{h}}bb.{{f}}")}})


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def square_png(width: int, height: int, color: str) -> bytes:
    """A PNG of one colour (RGB), with a lighter inner square so it reads as an icon."""
    red, green, blue = (int(color.lstrip("#")[index:index + 2], 16) for index in (0, 2, 4))
    light = bytes((min(255, red + 70), min(255, green + 70), min(255, blue + 70)))
    dark = bytes((red, green, blue))
    rows = []
    for row in range(height):
        inside_row = height // 4 <= row < height - height // 4
        line = b"".join(light if inside_row and width // 4 <= column < width - width // 4 else dark for column in range(width))
        rows.append(b"\x00" + line)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + _png_chunk(b"IEND", b"")


def initial_svg(width: int, height: int, color: str, name: str) -> bytes:
    letter = escape(name.strip()[:1].upper() or "?")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 100 100">'
            f'<rect width="100" height="100" rx="22" fill="{escape(color)}"/>'
            f'<text x="50" y="67" font-family="sans-serif" font-size="52" font-weight="bold" fill="#fff" text-anchor="middle">{letter}</text>'
            f'</svg>').encode("utf-8")


class ArtworkApi(ApiHalf):
    """The icons under ``ARTWORK_PREFIX``, for the adamIds the metadata half knows (custom apps too: Apple's CDN is public)."""

    name = "artwork"
    prefix = ARTWORK_PREFIX

    def __init__(self, metadata: MetadataApi) -> None:
        super().__init__()
        self.metadata = metadata

    def load(self, seed: dict[str, Any], settings: Settings) -> None:
        self.settings = settings

    def routes(self) -> list[BaseRoute]:
        return [Route("/{adam_id}/{size}", self.icon)]

    def route_template(self, path: str) -> str:
        return ARTWORK_PREFIX + "/{adamId}/{size}"

    def error_response(self, status: int, number: int | None, message: str | None = None) -> Response:
        return PlainTextResponse(message or "error", status_code=status)

    async def icon(self, request: Request) -> Response:
        item = self.metadata.catalogue.get(request.path_params["adam_id"])
        match = _ICON_SIZE.match(request.path_params["size"])
        if item is None or match is None or match.group(3) not in ICON_FORMATS:
            return self.error_response(404, None, "no such artwork")
        width, height, kind = int(match.group(1)), int(match.group(2)), match.group(3)
        if not (0 < width <= MAX_ICON_SIDE and 0 < height <= MAX_ICON_SIDE):
            return self.error_response(404, None, f"artwork sides are 1 to {MAX_ICON_SIDE}")
        if kind == "svg":
            return Response(initial_svg(width, height, item.color, item.name), media_type=ICON_FORMATS[kind])
        return Response(square_png(width, height, item.color), media_type=ICON_FORMATS[kind], headers={"Cache-Control": "max-age=86400"})
