"""Turning the admin company form into API models and a logo, every error at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from werkzeug.datastructures import FileStorage

from portal.companies.logos import MAX_LOGO_BYTES, Logo
from portal.companies.models import Company
from portal.companies.schemas import CompanyData
from portal.companies.uploads import decode_logo, too_large
from portal.errors import APIError, fields_from_validation
from portal.i18n import gettext as _


@dataclass(frozen=True)
class CompanyForm:
    data: CompanyData
    logo: Logo | None  # a new logo, re-encoded
    remove_logo: bool


async def company_form(form: Mapping[str, str], upload: FileStorage | None) -> CompanyForm:
    """The form's company and logo; a 422 with every field's message otherwise (413/415
    when the logo is all that is wrong)."""
    errors: dict[str, str] = {}
    status = 422
    data = None
    try:
        data = CompanyData.model_validate(
            {
                "name": form.get("name", ""),
                "website": form.get("website", ""),
                "description": form.get("description", ""),
            }
        )
    except ValidationError as error:
        errors.update(fields_from_validation(error))
    logo = None
    if upload is not None and upload.filename:
        raw = upload.stream.read(MAX_LOGO_BYTES + 1)  # spooled by the form parser already
        try:
            if len(raw) > MAX_LOGO_BYTES:
                raise too_large()
            logo = await decode_logo(raw)
        except APIError as error:
            errors["logo"] = error.message
            status = error.status if len(errors) == 1 else 422
    if errors or data is None:
        raise APIError(status, "validation_failed", _("Some fields are not valid."), errors)
    return CompanyForm(data, logo, form.get("remove_logo") == "on")


def form_values(company: Company) -> dict[str, Any]:
    return {
        "name": company.name,
        "website": company.website or "",
        "description": company.description,
    }
