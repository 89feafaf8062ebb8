"""Watching and downloading videos (``/videos/<id>``, with ranges), and deleting them."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from quart import Blueprint, Response, request
from quart.typing import ResponseReturnValue
from quart_schema import document_response

from portal.accounts.auth import require_admin, require_user
from portal.accounts.models import User
from portal.db import get_session
from portal.errors import APIError, ErrorEnvelope, json_error, not_found
from portal.i18n import gettext as _
from portal.media import service
from portal.media.extension import get_media
from portal.media.models import Video
from portal.media.ranges import content_disposition, decide, http_date
from portal.media.storage import read_span

blueprint = Blueprint("videos", __name__)

CHUNK = 1024 * 1024
# Signed-in content: browsers may keep it, shared caches may not.
CACHE_CONTROL = "private, max-age=86400"


async def _viewer() -> User | Response:
    """The signed-in user; otherwise a 401 for players and download tools.

    Pages send a signed-out visitor to the login page, but a ``<video>`` element, curl or
    wget following that redirect would get the login page's HTML with a 200 as "the video".
    Only a top-level navigation (``Sec-Fetch-Dest: document``) keeps the redirect.
    """
    try:
        return await require_user()
    except APIError as error:
        if error.status != 401 or request.headers.get("Sec-Fetch-Dest") == "document":
            raise
        return json_error(error)


async def _readable_video(video_id: int) -> Video | Response:
    """The video, when the caller may read its job; a 401 or 404 otherwise."""
    viewer = await _viewer()
    if isinstance(viewer, Response):
        return viewer
    # The session is opened only when the video is not remembered (get_session opens it).
    return await get_media().readable_video(get_session, video_id, admin=viewer.is_admin)


@blueprint.route("/videos/<int:video_id>", methods=["GET", "HEAD"])
async def video(video_id: int) -> ResponseReturnValue:
    found = await _readable_video(video_id)
    if isinstance(found, Response):
        return found
    media = get_media()
    path = media.storage.video_path(found.storage_name)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        media.forget_video(video_id)
        raise not_found(_("No such video.")) from None
    try:
        size = os.fstat(fd).st_size
        etag = f'"{found.sha256[:40]}"'
        plan = decide(
            request.headers,
            size=size,
            etag=etag,
            last_modified=found.created_at,
            method=request.method,
        )
    except BaseException:
        os.close(fd)
        raise
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(found.created_at),
        "Accept-Ranges": "bytes",
        "Cache-Control": CACHE_CONTROL,
    }
    if plan.status in (304, 416):
        os.close(fd)
        if plan.status == 416:
            headers["Content-Range"] = f"bytes */{size}"
        return Response(b"", status=plan.status, headers=headers)
    headers["Content-Type"] = found.content_type
    headers["Content-Disposition"] = content_disposition(
        found.original_filename, attachment=request.args.get("download") == "1"
    )
    if plan.status == 206:
        headers["Content-Range"] = f"bytes {plan.start}-{plan.end}/{size}"
    headers["Content-Length"] = str(plan.length)
    if request.method == "HEAD":
        os.close(fd)
        response = Response(b"", status=plan.status, headers=headers)
        response.headers["Content-Length"] = str(plan.length)
        return response
    if plan.length <= CHUNK:
        # A player seeking asks for a MiB or so at a time: read it here and answer with bytes,
        # without a streamed body's per-chunk machinery (the fixed cost of every seek).
        try:
            data = await read_span(fd, plan.start, plan.length)
        finally:
            os.close(fd)
        if len(data) < plan.length:
            # Truncated under us (deleted meanwhile): nothing sent yet, so say so plainly.
            media.forget_video(video_id)
            raise not_found(_("No such video."))
        return Response(data, status=plan.status, headers=headers)
    response = Response(_stream(fd, plan.start, plan.length), status=plan.status, headers=headers)
    # A film takes longer than Quart's default 60 s response timeout to watch or fetch.
    response.timeout = None
    return response


async def _stream(fd: int, start: int, length: int) -> AsyncIterator[bytes]:
    try:
        position, end = start, start + length
        while position < end:
            # Always in a thread, even when the page cache holds it: the await then really
            # yields, so a client gone mid-body is noticed (its request cancelled) before
            # more chunks are written to the dead socket, which asyncio would log.
            data = await asyncio.to_thread(os.pread, fd, min(CHUNK, end - position), position)
            if not data:
                break  # the file shrank under us (deleted and truncated): stop short
            position += len(data)
            yield data
    finally:
        os.close(fd)


@blueprint.get("/videos/<int:video_id>/poster")
async def poster(video_id: int) -> ResponseReturnValue:
    found = await _readable_video(video_id)
    if isinstance(found, Response):
        return found
    if found.poster_name is None:
        raise not_found(_("This video has no poster."))
    path = get_media().storage.poster_path(found.poster_name)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise not_found(_("This video has no poster.")) from None
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": CACHE_CONTROL})


@blueprint.delete("/api/v1/videos/<int:video_id>")
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
async def delete_video(video_id: int) -> ResponseReturnValue:
    """Delete a training video and its bytes (admins only)."""
    actor = await require_admin()
    removed = await service.delete_video(get_session(), actor, video_id)
    get_media().storage.remove_video(removed.storage_name, removed.upload_id, removed.poster_name)
    return Response(status=204)
