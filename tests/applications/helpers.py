"""What the applications tests share: applying through the API, the résumé folder, database
reads and a hand-made multipart body (for a request sent in chunks)."""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from quart import Quart
from quart.typing import TestClientProtocol
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from portal.alerts.models import Notification
from portal.applications.models import Application, Resume
from portal.db import get_db
from tests.applications import pdfs
from tests.factories import csrf_token_for

_tokens: dict[int, tuple[TestClientProtocol, str]] = {}


def resumes_dir(app: Quart) -> Path:
    return app.config["PORTAL_SETTINGS"].resolved_media_root / "resumes"


def stored_files(app: Quart) -> list[str]:
    """Every name in the résumé folder, hidden ``.part`` files too."""
    folder = resumes_dir(app)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


async def csrf_header(client: TestClientProtocol) -> dict[str, str]:
    """The token a page's script sends with a multipart POST (read once per client)."""
    cached = _tokens.get(id(client))
    if cached is None or cached[0] is not client:
        cached = (client, await csrf_token_for(client, "/applications"))
        _tokens[id(client)] = cached
    return {"X-CSRF-Token": cached[1]}


def resume_file(data: bytes, filename: str = "cv.pdf", content_type: str = "application/pdf"):
    return FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)


async def post_application(
    client: TestClientProtocol,
    job_id: int,
    *,
    pdf: bytes | None = None,
    filename: str = "cv.pdf",
    content_type: str = "application/pdf",
    headers: dict[str, str] | None = None,
    **fields: str,
):
    """POST /api/v1/jobs/<id>/applications as multipart; ``pdf=None`` sends no file part."""
    files = {"resume": resume_file(pdf, filename, content_type)} if pdf is not None else {}
    return await client.post(
        f"/api/v1/jobs/{job_id}/applications",
        form=fields,
        files=files,
        headers={**(await csrf_header(client)), **(headers or {})},
    )


async def applied(client: TestClientProtocol, job_id: int, **fields: Any) -> dict[str, Any]:
    """Apply with a real PDF (unless told otherwise) and return the 201's body."""
    fields.setdefault("pdf", pdfs.minimal_pdf())
    response = await post_application(client, job_id, **fields)
    body = await response.get_json()
    assert response.status_code == 201, body
    return body


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[str, bytes]:
    """``(content type, body)`` of a multipart/form-data request."""
    boundary = "----portal-test-" + uuid.uuid4().hex
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    for name, (filename, data) in files.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", bytes(out)


async def applications_in_db(app: Quart) -> list[Application]:
    async with get_db(app).session_scope() as session:
        return list((await session.execute(select(Application).order_by(Application.id))).scalars())


async def resumes_in_db(app: Quart) -> list[Resume]:
    async with get_db(app).session_scope() as session:
        return list((await session.execute(select(Resume).order_by(Resume.id))).scalars())


async def notifications_of(app: Quart, user_id: int) -> list[Notification]:
    async with get_db(app).session_scope() as session:
        query = select(Notification).where(Notification.user_id == user_id)
        return list((await session.execute(query.order_by(Notification.id))).scalars())
