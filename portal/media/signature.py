"""What a file really is, by its first bytes: never by its name or the Content-Type sent."""

from __future__ import annotations

from dataclasses import dataclass

# Enough for every signature below.
HEAD_BYTES = 16
MP4_BRANDS_BOX = b"ftyp"
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
OGG_MAGIC = b"OggS"
# Boxes a QuickTime file may start with before (or instead of) ftyp.
QUICKTIME_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


@dataclass(frozen=True)
class Container:
    name: str
    content_type: str
    extension: str


MP4 = Container("mp4", "video/mp4", ".mp4")
QUICKTIME = Container("mov", "video/quicktime", ".mov")
MATROSKA = Container("webm", "video/webm", ".webm")
OGG = Container("ogg", "video/ogg", ".ogv")


def _box_size_fits(head: bytes, length: int | None, minimum: int) -> bool:
    """An ISO/QuickTime box's 32-bit size: 0 (to the end), 1 (64-bit size follows) or a
    real size, never more than the file. Text that happens to spell ``free`` or ``ftyp``
    at offset 4 has a "size" of at least 0x20202020 bytes."""
    size = int.from_bytes(head[:4], "big")
    if size in (0, 1):
        return True
    return size >= minimum and (length is None or size <= length)


def sniff(head: bytes, length: int | None = None) -> Container | None:
    """The container of a file from its first :data:`HEAD_BYTES` bytes, or None.

    ``length``, the whole file's size when known, rules out box sizes beyond it.
    """
    if len(head) >= 12 and head[4:8] == MP4_BRANDS_BOX:
        if not _box_size_fits(head, length, 16):
            return None
        return QUICKTIME if head[8:12] == b"qt  " else MP4
    if len(head) >= 8 and head[4:8] in QUICKTIME_BOXES:
        return QUICKTIME if _box_size_fits(head, length, 8) else None
    if head.startswith(EBML_MAGIC):
        # WebM and Matroska share EBML; browsers play both under video/webm.
        return MATROSKA
    if head.startswith(OGG_MAGIC):
        return OGG
    return None
