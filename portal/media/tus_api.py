"""The tus 1.0.0 endpoint: ``/api/v1/uploads`` (creation) and ``/api/v1/uploads/<id>``.

Admins only. Errors keep the JSON envelope of the rest of the API, with the status codes of
the tus specification; every answer carries ``Tus-Resumable``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field
from quart import Blueprint, Response, request
from quart.typing import ResponseReturnValue
from quart_schema import document_headers, document_response, security_scheme
from werkzeug.exceptions import HTTPException

from portal.accounts.auth import require_admin
from portal.config import get_settings
from portal.db import end_read, get_session, utcnow
from portal.errors import APIError, ErrorEnvelope, render_error
from portal.media import service, tus
from portal.media.extension import get_media
from portal.media.models import Upload
from portal.media.receiver import PatchResult, UploadReceiver, upload_complete, upload_gone
from portal.web.docs import document_status

F = TypeVar("F", bound=Callable[..., Any])
blueprint = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads")
# A tus client sends a request per chunk; the handlers only read who is asking, so the caller
# may be recognised from memory (revocations still take effect at once: auth.changed).
UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
# The most of an unread request body received (and dropped) to keep its connection open.
DRAIN_BYTES = 256 * 1024
DRAIN_SECONDS = 2.0


# The one version spoken (tus.TUS_VERSION; a Literal needs it written out).
TusVersion = Literal["1.0.0"]
OffsetContentType = Literal["application/offset+octet-stream"]


class CreationHeaders(BaseModel):
    """The headers of a tus creation request (documented; checked by portal.media.tus)."""

    tus_resumable: TusVersion = Field(alias="Tus-Resumable")
    upload_length: int = Field(alias="Upload-Length", ge=1)
    upload_metadata: str = Field(
        alias="Upload-Metadata",
        description="filename, filetype and job_id: `key base64(value)` pairs, comma-separated",
    )


class PatchHeaders(BaseModel):
    tus_resumable: TusVersion = Field(alias="Tus-Resumable")
    upload_offset: int = Field(alias="Upload-Offset", ge=0)
    content_type: OffsetContentType = Field(alias="Content-Type")
    upload_checksum: str | None = Field(
        default=None, alias="Upload-Checksum", description="`sha1 <base64 digest>` of the body"
    )


class TusHeaders(BaseModel):
    tus_resumable: TusVersion = Field(alias="Tus-Resumable")


class OverrideHeaders(BaseModel):
    """POST standing in for PATCH (with its headers), DELETE or HEAD."""

    x_http_method_override: Literal["PATCH", "DELETE", "HEAD"] = Field(
        alias="X-HTTP-Method-Override"
    )
    tus_resumable: TusVersion = Field(alias="Tus-Resumable")
    upload_offset: int | None = Field(default=None, alias="Upload-Offset", ge=0)
    content_type: OffsetContentType | None = Field(default=None, alias="Content-Type")


def tus_errors(*statuses: int) -> Callable[[F], F]:
    """Document the JSON error answers a tus operation can give."""

    def decorate(handler: F) -> F:
        for status in statuses:
            handler = document_response(ErrorEnvelope, status)(handler)
        return handler

    return decorate


@blueprint.errorhandler(tus.TusError)
async def _tus_error(error: tus.TusError) -> Response:
    headers = dict(tus.RESUMABLE_HEADERS)
    if error.status == 412:
        # The specification: a 412 for the version names the versions we do speak.
        headers["Tus-Version"] = tus.TUS_VERSION
    return await render_error(APIError(error.status, error.code, error.message, headers=headers))


@blueprint.after_request
async def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = tus.TUS_VERSION
    response.headers["Access-Control-Expose-Headers"] = tus.EXPOSED_HEADERS
    if not await _drain_body():
        # The server closes a connection whose request body was not read to the end: say
        # so, or the client sends its next request down a connection that is going away.
        response.headers["Connection"] = "close"
    return response


async def _drain_body() -> bool:
    """Read and drop what is left of the request body, when little is left; False if more
    remains (or it does not come quickly).

    An answer given before the body was read (a wrong offset, a bad checksum header, an
    unknown upload, a refused caller) would otherwise end the connection: reading a small
    rest keeps it for the client's next request. A large rest (a whole file in one PATCH)
    is not worth receiving just to refuse it.
    """
    left = DRAIN_BYTES
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            async for chunk in request.body:
                left -= len(chunk)
                if left < 0:
                    return False
    except (TimeoutError, HTTPException):  # a slow client; a body beyond Quart's limit
        return False
    return True


def _max_size() -> int:
    return get_settings().max_upload_bytes


def _upload_headers(upload: Upload, offset: int) -> dict[str, str]:
    return {
        "Upload-Offset": str(offset),
        "Upload-Expires": format_datetime(upload.expires_at, usegmt=True),
        "Cache-Control": "no-store",
    }


@blueprint.route("", methods=["OPTIONS"], provide_automatic_options=False)
@blueprint.route("/<upload_id>", methods=["OPTIONS"], provide_automatic_options=False)
@security_scheme([])  # no credentials: it reveals nothing
async def options(upload_id: str | None = None) -> ResponseReturnValue:
    """What this server speaks (no authentication: it reveals nothing)."""
    return Response(status=204, headers=tus.options_headers(_max_size()))


@blueprint.post("")
@document_headers(CreationHeaders)
@document_status(201, "Created: `Location` names the upload, `Upload-Offset` what it holds.")
@tus_errors(400, 401, 403, 404, 412, 413, 415)
async def create() -> ResponseReturnValue:
    """Create an upload; with a body, also its first bytes (creation-with-upload). Admins only."""
    actor = await require_admin(remembered=True)
    tus.check_resumable(request.headers)
    if request.headers.get("Upload-Defer-Length") is not None:
        raise tus.TusError(400, "bad_request", "Upload-Defer-Length is not supported.")
    length = tus.parse_size(request.headers.get("Upload-Length"), "Upload-Length")
    if length is None:
        raise tus.TusError(400, "bad_request", "Upload-Length is required.")
    if length > _max_size():
        raise tus.TusError(413, "too_large", f"Uploads are limited to {_max_size()} bytes.")
    if length == 0:
        raise tus.TusError(400, "bad_request", "An empty file is not a video.")
    metadata = tus.parse_metadata(request.headers.get("Upload-Metadata"))
    new = service.new_upload_from_metadata(metadata, length)
    has_body = request.headers.get("Content-Type") is not None or _content_length() not in (
        None,
        0,
    )
    if has_body:
        tus.check_patch_content_type(request.headers)
    media = get_media()
    upload = await service.create_upload(get_session(), actor, new, expires_in=media.expires_in)
    media.storage.create_partial(upload.id)
    headers = {"Location": f"{request.root_path}/api/v1/uploads/{upload.id}"}
    offset = 0
    if has_body:
        result = await _receive(upload, 0)
        offset = result.offset
    headers |= _upload_headers(upload, offset)
    return Response(status=201, headers=headers)


@blueprint.route("/<upload_id>", methods=["HEAD"])
async def head(upload_id: str) -> ResponseReturnValue:
    await require_admin(remembered=True)
    tus.check_resumable(request.headers)
    upload = await _get_upload(upload_id)
    offset = _offset_of(upload)
    headers = _upload_headers(upload, offset) | {"Upload-Length": str(upload.length)}
    metadata = {"filename": upload.filename, "job_id": str(upload.job_id)}
    if upload.filetype:
        metadata["filetype"] = upload.filetype
    headers["Upload-Metadata"] = tus.encode_metadata(metadata)
    return Response(status=200, headers=headers)


@blueprint.patch("/<upload_id>")
@document_headers(PatchHeaders)
@tus_errors(400, 401, 403, 404, 409, 412, 413, 415, 423, 460)
async def patch(upload_id: str) -> ResponseReturnValue:
    """Append bytes at ``Upload-Offset`` (admins only)."""
    await require_admin(remembered=True)
    return await _patch(upload_id)


@blueprint.delete("/<upload_id>")
@document_headers(TusHeaders)
@tus_errors(401, 403, 404, 409, 412, 423)
async def terminate(upload_id: str) -> ResponseReturnValue:
    """Termination: cancel an unfinished upload and remove its bytes (admins only)."""
    await require_admin(remembered=True)
    return await _terminate(upload_id)


@blueprint.post("/<upload_id>")
@document_headers(OverrideHeaders)
@document_status(204, "PATCH or DELETE done, as those methods answer.")
@document_status(200, "HEAD: `Upload-Offset`, `Upload-Length` and `Upload-Metadata`.")
@tus_errors(400, 401, 403, 404, 405, 409, 412, 413, 415, 423, 460)
async def overridden(upload_id: str) -> ResponseReturnValue:
    """``X-HTTP-Method-Override`` for clients that can only send POST."""
    await require_admin(remembered=True)
    method = tus.effective_method("POST", request.headers)
    if method == "PATCH":
        return await _patch(upload_id)
    if method == "DELETE":
        return await _terminate(upload_id)
    if method == "HEAD":
        return await head(upload_id)
    raise APIError(405, "method_not_allowed", "POST needs X-HTTP-Method-Override here.")


async def _patch(upload_id: str) -> ResponseReturnValue:
    tus.check_resumable(request.headers)
    tus.check_patch_content_type(request.headers)
    offset = tus.parse_size(request.headers.get("Upload-Offset"), "Upload-Offset")
    if offset is None:
        raise tus.TusError(400, "bad_request", "Upload-Offset is required.")
    upload = await _get_upload(upload_id)
    if upload.offset >= upload.length:
        if offset == upload.length and not _content_length():
            return Response(status=204, headers=_upload_headers(upload, upload.length))
        raise upload_complete()
    result = await _receive(upload, offset)
    headers = _upload_headers(upload, result.offset)
    if result.offset > offset:
        # Receiving bytes pushed the expiry forward (in the database, not in `upload`).
        expires_at = utcnow() + get_media().expires_in
        headers["Upload-Expires"] = format_datetime(expires_at, usegmt=True)
    return Response(status=204, headers=headers)


async def _end_read_transaction() -> None:
    """The request's read snapshot must not stay open while bytes stream in (the receiver
    writes through sessions of its own; on SQLite an open read would hold up the log)."""
    await end_read(get_session())


async def _receive(upload: Upload, offset: int) -> PatchResult:
    await _end_read_transaction()
    checksum = tus.parse_checksum(request.headers.get("Upload-Checksum"))
    return await _receiver().append(
        upload,
        offset,
        request.body,  # type: ignore[arg-type]
        content_length=_content_length(),
        checksum=checksum,
    )


async def _terminate(upload_id: str) -> ResponseReturnValue:
    tus.check_resumable(request.headers)
    upload = await _get_upload(upload_id)
    if upload.offset >= upload.length:
        raise tus.TusError(409, "conflict", "This upload is complete; delete the video instead.")
    await _end_read_transaction()
    await _receiver().terminate(upload)
    return Response(status=204)


async def _get_upload(upload_id: str) -> Upload:
    # Ids are ours (token_urlsafe): anything else is unknown without asking the database,
    # where a NUL byte would be an error on PostgreSQL rather than a 404.
    if not UPLOAD_ID.fullmatch(upload_id):
        raise upload_gone()
    return await service.get_upload(get_session(), upload_id)


def _offset_of(upload: Upload) -> int:
    if upload.offset >= upload.length:
        return upload.length
    size = get_media().storage.partial_size(upload.id)
    if size is None:
        raise upload_gone()
    return size


def _receiver() -> UploadReceiver:
    receiver = get_media().receiver
    assert receiver is not None, "the media extension starts with the app"
    return receiver


def _content_length() -> int | None:
    raw = request.headers.get("Content-Length")
    if raw is None:
        return None
    return tus.parse_size(raw, "Content-Length")
