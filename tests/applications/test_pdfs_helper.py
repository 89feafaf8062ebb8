"""The test PDFs themselves: a reader's checks pass on the valid ones, fail on the others."""

from __future__ import annotations

from portal.applications.resumes import looks_like_pdf
from tests.applications import pdfs


def test_the_minimal_pdf_has_a_correct_xref_table() -> None:
    for data in (pdfs.minimal_pdf(), pdfs.minimal_pdf(padding=5000), pdfs.demo()):
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert pdfs.xref_is_consistent(data)


def test_a_pdf_of_an_exact_size() -> None:
    for size in (2000, 64 * 1024, 1024 * 1024 + 1):
        data = pdfs.pdf_of_size(size)
        assert len(data) == size and pdfs.xref_is_consistent(data)


def test_the_fakes_fail_the_sniff() -> None:
    for fake in (pdfs.png(), pdfs.html_named_pdf(), pdfs.truncated_pdf()):
        assert not looks_like_pdf(fake[:5], fake[-1024:])
    assert pdfs.truncated_pdf().startswith(b"%PDF-")
