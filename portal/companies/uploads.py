"""Taking a logo from a request: bounded reading, re-encoding off the event loop, storing
after the database agrees, and the old file removed only after the commit."""

from __future__ import annotations

import asyncio
import logging

from quart import request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from werkzeug.exceptions import RequestEntityTooLarge

from portal.companies import service
from portal.companies.logos import (
    MAX_LOGO_BYTES,
    Logo,
    LogoStore,
    UnsupportedImageError,
    reencode,
)
from portal.companies.models import Company
from portal.config import get_settings
from portal.db import get_db
from portal.errors import APIError
from portal.i18n import gettext as _
from portal.web.body_limits import allow_larger_body

log = logging.getLogger(__name__)
# Multipart forms carry the logo and the text fields (a description of 5,000 characters is
# at most 20 KB in UTF-8) and boundaries.
FORM_ROOM = 64 * 1024
allow_larger_body({"PUT"}, r"/api/v1/companies/[0-9]+/logo", MAX_LOGO_BYTES + 1)
allow_larger_body({"POST"}, r"/admin/companies/(?:new|[0-9]+/edit)", MAX_LOGO_BYTES + FORM_ROOM)


def too_large() -> APIError:
    return APIError(413, "too_large", _("A logo is at most 2 MiB."))


def unsupported() -> APIError:
    return APIError(
        415,
        "unsupported_image",
        _("A logo must be a whole PNG, JPEG or WebP image of at most 16 million pixels."),
    )


def logo_store() -> LogoStore:
    return LogoStore(get_settings().resolved_media_root)


async def read_body() -> bytes:
    """The request's body, refused (413) as soon as it is known to pass MAX_LOGO_BYTES:
    by its Content-Length before a byte is read, else by counting as it arrives."""
    if (request.content_length or 0) > MAX_LOGO_BYTES:
        raise too_large()
    data = bytearray()
    try:
        async for chunk in request.body:
            data += chunk
            if len(data) > MAX_LOGO_BYTES:
                raise too_large()
    except RequestEntityTooLarge:
        raise too_large() from None
    return bytes(data)


async def decode_logo(data: bytes) -> Logo:
    """The logo in ``data`` re-encoded (off the event loop), or a 415."""
    try:
        return await asyncio.to_thread(reencode, data)
    except UnsupportedImageError:
        raise unsupported() from None


async def store_logo(session: AsyncSession, company_id: int, logo: Logo) -> Company:
    """Store a re-encoded logo and make it the company's.

    The file is written before the commit, and removed again if the commit fails; the old
    file goes once the commit has succeeded, so a reader never meets a row without its file.
    """
    store = logo_store()
    name = await asyncio.to_thread(store.save, logo)
    stored = service.StoredLogo(name, logo.kind.content_type, logo.sha256)
    try:
        company, old = await service.set_logo(session, company_id, stored)
    except BaseException:
        store.remove(name)
        raise
    store.remove(old)
    return company


async def replace_logo(session: AsyncSession, company_id: int, data: bytes) -> Company:
    """``data`` as the company's logo: 404 for no company, 415 for no logo of ours."""
    await service.get_company(session, company_id)  # a 404 before any decoding
    return await store_logo(session, company_id, await decode_logo(data))


async def remove_logo(session: AsyncSession, company_id: int) -> Company:
    company, old = await service.set_logo(session, company_id, None)
    logo_store().remove(old)
    return company


async def remove_orphan_logos() -> int:
    """Delete logo files no company refers to; how many (run when a process starts).

    Only a cleanup: if it fails (the database away), the process serves on regardless."""
    store = logo_store()
    try:
        if not await asyncio.to_thread(store.root.is_dir):
            return 0
        async with get_db().session_scope() as session:
            rows = await session.execute(select(Company.logo_name))
            referenced = {name for name in rows.scalars() if name}
        names = await asyncio.to_thread(store.orphans, referenced)
        for name in names:
            store.remove(name)
    except Exception:
        log.exception("removing orphaned logo files failed")
        return 0
    if names:
        log.info("removed %d logo file(s) no company refers to", len(names))
    return len(names)
