"""Real and hostile image files for the logo tests, made with Pillow."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin


def image_bytes(fmt: str, size: tuple[int, int] = (64, 48), mode: str = "RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 40, 90)[: len(mode)] if mode != "P" else 3).save(out, fmt, **save)
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48), **save) -> bytes:
    return image_bytes("PNG", size, **save)


def jpeg(size: tuple[int, int] = (64, 48), **save) -> bytes:
    return image_bytes("JPEG", size, **save)


def webp(size: tuple[int, int] = (64, 48), **save) -> bytes:
    return image_bytes("WEBP", size, **save)


def gif() -> bytes:
    return image_bytes("GIF", mode="P")


def png_with_text(text: str) -> bytes:
    """A valid PNG carrying ``text`` in a tEXt chunk (HTML in an image's metadata)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return png(pnginfo=info)


def jpeg_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    exif[0x0131] = "SecretCamera 1.0"  # Software
    return jpeg(exif=exif.tobytes())


def large_noise_png(min_bytes: int) -> bytes:
    """A real PNG larger than ``min_bytes`` (random pixels do not compress)."""
    import os

    side = 1024
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=0)
        if len(out.getvalue()) > min_bytes:
            return out.getvalue()
        side *= 2
