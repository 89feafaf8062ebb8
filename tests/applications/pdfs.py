"""Files for résumé uploads: real PDFs (with a correct cross-reference table) and things
that only pretend to be one."""

from __future__ import annotations

import io
import re

from PIL import Image

from portal.demo import demo_pdf


def minimal_pdf(text: str = "Curriculum vitae", *, padding: int = 0) -> bytes:
    """A one-page PDF whose xref offsets are right; ``padding`` bytes of comment lines sit
    between the last object and the xref table (a file of a chosen size stays valid)."""
    stream = b"BT /F1 18 Tf 72 720 Td (" + text.encode("ascii", "replace") + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    line = 1023
    while padding > 0:
        piece = min(padding, line)
        out += b"%" + b"p" * (piece - 2) + b"\n" if piece >= 2 else b"\n"
        padding -= piece
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_of_size(size: int) -> bytes:
    """A valid PDF of exactly ``size`` bytes."""
    base = len(minimal_pdf())
    # The xref offset's digits may grow with the padding; adjust until exact.
    padding = size - base
    for _ in range(5):
        data = minimal_pdf(padding=padding)
        if len(data) == size:
            return data
        padding += size - len(data)
    raise AssertionError(f"cannot build a PDF of {size} bytes")


def xref_is_consistent(data: bytes) -> bool:
    """Every object the xref table lists starts where it says (a reader's first check)."""
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF", data).group(1))
    assert data[start:].startswith(b"xref\n")
    table = re.findall(rb"(\d{10}) 00000 n ", data[start:])
    return all(
        data[int(offset) :].startswith(b"%d 0 obj" % number)
        for number, offset in enumerate(table, start=1)
    )


def demo(title: str = "Ann - CV") -> bytes:
    """The project's own demo résumé."""
    return demo_pdf(title)


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def html_named_pdf() -> bytes:
    """What a page saved as "resume.pdf" holds; %%EOF in it does not make it a PDF."""
    return b"<!doctype html><html><body><h1>My CV</h1><!-- %%EOF --></body></html>\n"


def truncated_pdf() -> bytes:
    """A PDF cut off before its trailer: the magic is right, %%EOF is missing."""
    data = minimal_pdf(padding=4096)
    return data[: data.rindex(b"xref")]
