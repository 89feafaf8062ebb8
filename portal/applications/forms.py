"""Reading an application from a ``multipart/form-data`` request (the API and the job page).

The body is bounded by the résumé's limit plus room for the text fields, and refused (413)
by its Content-Length before a byte is read, else as the bytes arrive: nothing is stored
from a body that was too large or did not arrive whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError
from quart import request
from werkzeug.exceptions import RequestEntityTooLarge

from portal.applications.resumes import MAX_RESUME_BYTES, ResumeStore
from portal.applications.schemas import ApplyForm
from portal.applications.service import NewResume, missing_resume, resume_too_large
from portal.config import get_settings
from portal.domain_errors import Invalid
from portal.errors import APIError, Refusal, fields_from_validation, http_error
from portal.web.body_limits import allow_larger_body
from portal.web.forms import form_data

# A cover letter of 5,000 characters is at most 20 KB in UTF-8; the rest is the parts'
# headers and boundaries.
FORM_ROOM = 64 * 1024
BODY_LIMIT = MAX_RESUME_BYTES + FORM_ROOM
API_PATH = r"/api/v1/jobs/[0-9]+/applications"
PAGE_PATH = r"/jobs/[0-9]+/apply"
allow_larger_body({"POST"}, API_PATH, BODY_LIMIT)
allow_larger_body({"POST"}, PAGE_PATH, BODY_LIMIT)


def resume_store() -> ResumeStore:
    return ResumeStore(get_settings().resolved_media_root)


@dataclass(frozen=True)
class Submission:
    form: ApplyForm
    resume: NewResume | None
    values: dict[str, str]  # as typed, for a form page shown again


class SubmissionError(APIError):
    """A submission refused before the service saw it, with the fields as typed (empty when
    the body was refused unread), so a form page shown again keeps them."""

    def __init__(self, error: Refusal, values: dict[str, str]) -> None:
        answer = http_error(error)
        super().__init__(answer.status, answer.code, answer.message, answer.fields, answer.headers)
        self.values = values


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "on", "yes"}


async def read_submission() -> Submission:
    """The fields and the résumé file; a 413 or a 422 with every field's message
    (raised as a :class:`SubmissionError`)."""
    if (request.content_length or 0) > BODY_LIMIT:
        raise SubmissionError(resume_too_large(), {})
    try:
        values = await form_data()
        files = await request.files
    except RequestEntityTooLarge:
        raise SubmissionError(resume_too_large(), {}) from None
    upload = files.get("resume")
    resume = (
        NewResume(source=upload.stream, filename=upload.filename or "")
        if upload is not None and upload.filename
        else None
    )
    try:
        form = ApplyForm.model_validate(
            {
                "cover_letter": values.get("cover_letter", ""),
                # An unticked HTML checkbox is absent; the API may send true/false.
                "use_saved_resume": values.get("use_saved_resume", "false"),
                "keep_resume": values.get("keep_resume", "false"),
            }
        )
    except ValidationError as error:
        fields = fields_from_validation(error)
        # Every field at once: a missing file is certain here; a saved résumé is the
        # service's to look up, so "use the saved one" is left to it.
        use_saved = _truthy(values.get("use_saved_resume", ""))
        if resume is None and not use_saved and "use_saved_resume" not in fields:
            fields.setdefault("resume", missing_resume(False))
        raise SubmissionError(Invalid(fields), values) from None
    return Submission(form=form, resume=resume, values=values)
