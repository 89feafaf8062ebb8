"""Résumé uploads that are refused: not a PDF by its bytes (415), too large by the header or
counted as it arrives (413); none leaves a file, not even a ``.part``."""

from __future__ import annotations

import io

import pytest

from portal.applications.forms import BODY_LIMIT
from portal.applications.resumes import MAX_RESUME_BYTES, NotAPdfError, ResumeStore, TooLargeError
from tests.applications import pdfs
from tests.applications.helpers import (
    applications_in_db,
    applied,
    csrf_header,
    multipart,
    post_application,
    resumes_in_db,
    stored_files,
)
from tests.jobs.helpers import error_of

FAKES = {
    "png": (pdfs.png, "photo.png", "image/png"),
    "html named .pdf": (pdfs.html_named_pdf, "resume.pdf", "application/pdf"),
    "truncated before %%EOF": (pdfs.truncated_pdf, "resume.pdf", "application/pdf"),
    "empty": (lambda: b"", "empty.pdf", "application/pdf"),
    "%%EOF too far from the end": (
        lambda: pdfs.minimal_pdf() + b"\n%" + b"x" * 4096 + b"\n",
        "padded.pdf",
        "application/pdf",
    ),
}


@pytest.mark.parametrize("kind", list(FAKES))
async def test_what_is_not_a_pdf_is_415_and_nothing_is_kept(app, ann, job, kind) -> None:
    make, filename, content_type = FAKES[kind]
    response = await post_application(
        ann, job.id, pdf=make(), filename=filename, content_type=content_type, keep_resume="true"
    )
    error = await error_of(response, 415)
    assert error["code"] == "not_a_pdf"
    assert error["fields"] == {"resume": "The résumé must be a PDF file."}
    assert stored_files(app) == []
    assert await resumes_in_db(app) == [] and await applications_in_db(app) == []


@pytest.mark.both_databases
async def test_after_a_refusal_a_real_pdf_goes_through(app, db_backend, ann, job) -> None:
    await error_of(await post_application(ann, job.id, pdf=pdfs.png(), filename="cv.pdf"), 415)
    # The claimed type does not matter either way: the bytes do.
    body = await applied(ann, job.id, content_type="application/octet-stream", filename="cv")
    assert body["resume"]["filename"] == "cv.pdf"
    assert len(stored_files(app)) == 1


async def test_too_large_by_content_length_is_413_before_reading(app, ann, job) -> None:
    content_type, body = multipart(
        {"cover_letter": "x"}, {"resume": ("cv.pdf", pdfs.minimal_pdf())}
    )
    headers = {
        **(await csrf_header(ann)),
        "Content-Type": content_type,
        "Content-Length": str(BODY_LIMIT + 1),
    }
    async with ann.request(
        f"/api/v1/jobs/{job.id}/applications", method="POST", headers=headers
    ) as connection:
        await connection.send(body)
        await connection.send_complete()
    response = await connection.as_response()
    error = await error_of(response, 413)
    assert error["code"] == "too_large"
    assert stored_files(app) == []
    assert await applications_in_db(app) == []


async def test_a_body_without_content_length_is_counted(app, ann, job) -> None:
    content_type, body = multipart(
        {"cover_letter": "x"}, {"resume": ("cv.pdf", pdfs.pdf_of_size(BODY_LIMIT + 1024))}
    )
    headers = {**(await csrf_header(ann)), "Content-Type": content_type}
    async with ann.request(
        f"/api/v1/jobs/{job.id}/applications", method="POST", headers=headers
    ) as connection:
        step = 256 * 1024
        for start in range(0, len(body), step):
            await connection.send(body[start : start + step])
        await connection.send_complete()
    response = await connection.as_response()
    assert (await error_of(response, 413))["code"] == "too_large"
    assert stored_files(app) == []
    assert await applications_in_db(app) == []


async def test_a_file_just_over_10_mib_is_counted_while_stored(app, ann, job) -> None:
    just_over = pdfs.pdf_of_size(MAX_RESUME_BYTES + 1)
    response = await post_application(ann, job.id, pdf=just_over)
    error = await error_of(response, 413)
    assert error["code"] == "too_large"
    assert error["fields"] == {"resume": "The résumé is larger than 10 MiB."}
    assert stored_files(app) == []
    assert await resumes_in_db(app) == []
    # Exactly 10 MiB is accepted.
    body = await applied(ann, job.id, pdf=pdfs.pdf_of_size(MAX_RESUME_BYTES))
    assert body["resume"]["size"] == MAX_RESUME_BYTES
    assert len(stored_files(app)) == 1


# ------------------------------------------------------------------------------ the store


class Trickle(io.RawIOBase):
    """A source that hands out a few bytes per read (the magic split across reads)."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        piece = self.data[self.at : self.at + self.step]
        self.at += len(piece)
        return piece


def test_the_store_reads_a_pdf_in_small_pieces(tmp_path) -> None:
    store = ResumeStore(tmp_path)
    data = pdfs.minimal_pdf()
    name, size, _digest = store.save(Trickle(data, 2))
    assert size == len(data) and store.path(name).read_bytes() == data
    assert store.path(name).parent == tmp_path / "resumes"
    store.remove(name)
    store.remove(None)
    assert list((tmp_path / "resumes").iterdir()) == []


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"%PDX-" + pdfs.minimal_pdf()[5:], NotAPdfError),
        (pdfs.truncated_pdf(), NotAPdfError),
        (pdfs.pdf_of_size(MAX_RESUME_BYTES + 1), TooLargeError),
    ],
)
def test_the_store_keeps_nothing_it_refuses(tmp_path, data, error) -> None:
    store = ResumeStore(tmp_path)
    with pytest.raises(error):
        store.save(Trickle(data, 3) if len(data) < 10_000 else io.BytesIO(data))
    assert list((tmp_path / "resumes").iterdir()) == []
