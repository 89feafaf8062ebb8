"""Company logos: told by their bytes, re-encoded by Pillow, stored under the media root.

What a client sends is never served as it came. The first bytes name the format (PNG, JPEG
or WebP; never the Content-Type or a file name), only that format's decoder may read it, at
most MAX_PIXELS are decoded (a 2 MiB PNG can claim a billion), and the first frame is drawn
afresh into a new image of at most SIDE x SIDE pixels and saved in the same format with no
metadata at all (EXIF, XMP, ICC profiles, text chunks): what is stored is always a real
image of the sniffed type, whatever else the upload was too.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
# Stored logos fit this square: cards show 24 px, pages 48-96 px (twice that on dense
# screens), and search engines want at least 112 px in JSON-LD.
SIDE = 512
HEAD_BYTES = 12
# A logo file younger than this may be another process's, written before its commit.
ORPHAN_MIN_AGE_SECONDS = 600.0


@dataclass(frozen=True)
class Kind:
    content_type: str
    pillow_format: str
    extension: str


PNG = Kind("image/png", "PNG", ".png")
JPEG = Kind("image/jpeg", "JPEG", ".jpg")
WEBP = Kind("image/webp", "WEBP", ".webp")
KINDS = {kind.content_type: kind for kind in (PNG, JPEG, WEBP)}


class UnsupportedImageError(ValueError):
    """Not a whole PNG, JPEG or WebP image that we are willing to decode."""


@dataclass(frozen=True)
class Logo:
    """A re-encoded logo, ready to store."""

    data: bytes
    kind: Kind
    sha256: str


def sniff(head: bytes) -> Kind | None:
    """The image format the first bytes announce (their magic numbers), or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if len(head) >= HEAD_BYTES and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def reencode(data: bytes) -> Logo:
    """The logo in ``data`` drawn afresh, or UnsupportedImageError. CPU-bound: run it in a
    thread (``asyncio.to_thread``); its input is at most MAX_LOGO_BYTES."""
    kind = sniff(data[:HEAD_BYTES])
    if kind is None:
        raise UnsupportedImageError("not a PNG, JPEG or WebP file")
    try:
        image = _decoded(data, kind)
    except UnsupportedImageError:
        raise
    except (
        OSError,  # truncated or corrupt data (Pillow's "image file is truncated")
        ValueError,
        SyntaxError,  # some of Pillow's parsers say "not a PNG file" this way
        EOFError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,  # raised where warnings are errors (the tests)
    ) as error:
        raise UnsupportedImageError(str(error)) from None
    out = io.BytesIO()
    if kind is JPEG:
        image.save(out, "JPEG", quality=88, optimize=True)
    elif kind is WEBP:
        image.save(out, "WEBP", quality=88, method=4)
    else:
        image.save(out, "PNG", optimize=True)
    encoded = out.getvalue()
    return Logo(encoded, kind, hashlib.sha256(encoded).hexdigest())


def _decoded(data: bytes, kind: Kind) -> Image.Image:
    """The first frame, upright, at most SIDE x SIDE, in a new image without metadata."""
    with Image.open(io.BytesIO(data), formats=[kind.pillow_format]) as source:
        width, height = source.size
        if source.format != kind.pillow_format or not 0 < width * height <= MAX_PIXELS:
            raise UnsupportedImageError(f"{width} x {height} pixels")
        if kind is JPEG:
            source.draft("RGB", (SIDE, SIDE))  # decode at a fraction of the size when large
        source.load()  # the whole first frame: a truncated file fails here
        image = ImageOps.exif_transpose(source)
        alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        mode = "RGBA" if alpha and kind is not JPEG else "RGB"
        image = image.convert(mode)
        image.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
        # Pixels only: a new image has an empty ``info``, so nothing of the upload's
        # metadata can be written back.
        return Image.frombytes(mode, image.size, image.tobytes())


class LogoStore:
    """Logo files under ``<media root>/logos``, named by us (random hex and the format's
    extension): nothing a client sends becomes part of a path."""

    def __init__(self, media_root: Path) -> None:
        self.root = media_root / "logos"

    def path(self, name: str) -> Path:
        return self.root / name

    def save(self, logo: Logo) -> str:
        """Write the logo under a new name, atomically (a whole file or none); its name."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16) + logo.kind.extension
        partial = self.root / f".{name}.part"
        try:
            with open(partial, "xb") as out:
                out.write(logo.data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, self.path(name))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return name

    def read(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, name: str | None) -> None:
        if name:
            self.path(name).unlink(missing_ok=True)

    def orphans(self, referenced: set[str], *, now: float | None = None) -> list[str]:
        """Files no company refers to (a crash between writing a file and committing its
        row, or before an old file was removed), older than ORPHAN_MIN_AGE_SECONDS."""
        now = time.time() if now is None else now
        try:
            paths = list(self.root.iterdir())
        except FileNotFoundError:
            return []
        found = []
        for path in paths:
            try:
                young = now - path.stat().st_mtime < ORPHAN_MIN_AGE_SECONDS
            except FileNotFoundError:
                continue
            if path.is_file() and not young and path.name not in referenced:
                found.append(path.name)
        return found
