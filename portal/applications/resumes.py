"""Résumé files: PDFs only, told by their bytes, stored under the media root.

A file is written to a temporary name and renamed into place once whole, so a refused or
interrupted upload leaves nothing under a name the database could point at.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import IO

MAX_RESUME_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
# A complete PDF ends with %%EOF, give or take a few trailing bytes of whitespace or junk
# that real writers leave; its absence means a truncated or not-a-PDF file.
EOF_WINDOW = 1024
CHUNK = 256 * 1024


class NotAPdfError(ValueError):
    pass


class TooLargeError(ValueError):
    pass


def looks_like_pdf(head: bytes, tail: bytes) -> bool:
    return head.startswith(PDF_MAGIC) and b"%%EOF" in tail


class ResumeStore:
    def __init__(self, root: Path) -> None:
        self.root = root / "resumes"

    def path(self, storage_name: str) -> Path:
        # Names are ours (hex + .pdf), never a user's: no traversal is possible.
        return self.root / storage_name

    def save(self, source: IO[bytes]) -> tuple[str, int, str]:
        """Copy a PDF from ``source``; its storage name, size and SHA-256.

        Raises ``NotAPdfError`` or ``TooLargeError`` having kept nothing.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        name = secrets.token_hex(16) + ".pdf"
        partial = self.root / f".{name}.part"
        digest = hashlib.sha256()
        size = 0
        head = b""
        tail = b""
        try:
            with open(partial, "xb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > MAX_RESUME_BYTES:
                        raise TooLargeError
                    if len(head) < len(PDF_MAGIC):
                        head = (head + chunk)[: len(PDF_MAGIC)]
                        if len(head) == len(PDF_MAGIC) and head != PDF_MAGIC:
                            raise NotAPdfError
                    tail = (tail + chunk)[-EOF_WINDOW:]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if not looks_like_pdf(head, tail):
                raise NotAPdfError
            os.replace(partial, self.path(name))
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return name, size, digest.hexdigest()

    def remove(self, storage_name: str | None) -> None:
        if storage_name:
            self.path(storage_name).unlink(missing_ok=True)
