"""Request and response models of the companies API, and the company as jobs show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.config import JsonDict

from portal.companies.models import Company
from portal.companies.rules import (
    DESCRIPTION_MAX,
    NAME_MAX,
    WEBSITE_MAX,
    check_description,
    check_name,
    check_website,
)
from portal.i18n import gettext as _
from portal.web.text import MULTI_LINE_SCHEMA, ONE_LINE_SCHEMA

# The limits are checked by portal.companies.rules, with messages in the reader's language;
# the schema states them for API clients.
NAME_SCHEMA: JsonDict = {**ONE_LINE_SCHEMA, "minLength": 1, "maxLength": NAME_MAX}
WEBSITE_SCHEMA: JsonDict = {
    **ONE_LINE_SCHEMA,
    "maxLength": WEBSITE_MAX,
    "description": "an http(s) address; empty or null for none",
}
DESCRIPTION_SCHEMA: JsonDict = {
    **MULTI_LINE_SCHEMA,
    "maxLength": DESCRIPTION_MAX,
    "description": "Markdown",
}


class CompanyData(BaseModel):
    """A new company."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(json_schema_extra=NAME_SCHEMA)
    website: str | None = Field(default=None, json_schema_extra=WEBSITE_SCHEMA)
    description: str = Field(default="", json_schema_extra=DESCRIPTION_SCHEMA)

    _check_name = field_validator("name")(staticmethod(check_name))
    _check_website = field_validator("website")(staticmethod(check_website))
    _check_description = field_validator("description")(staticmethod(check_description))


class CompanyPatch(BaseModel):
    """Changes to a company: omitted fields stay; ``null`` clears the website."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, json_schema_extra=NAME_SCHEMA)
    website: str | None = Field(default=None, json_schema_extra=WEBSITE_SCHEMA)
    description: str | None = Field(default=None, json_schema_extra=DESCRIPTION_SCHEMA)

    @field_validator("name", "description", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError(_("This field cannot be cleared."))
        return value

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        return None if value is None else check_name(value)

    @field_validator("description")
    @classmethod
    def _check_description(cls, value: str | None) -> str | None:
        return None if value is None else check_description(value)

    _check_website = field_validator("website")(staticmethod(check_website))

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class CompanyFilter(BaseModel):
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=100)


class CompanyRef(BaseModel):
    """The company a job belongs to, as job cards, pages and live events show it."""

    id: int
    name: str
    url: str
    logo_url: str | None

    @classmethod
    def of(cls, company: Company) -> CompanyRef:
        return cls(
            id=company.id,
            name=company.name,
            url=company_path(company),
            logo_url=logo_path(company),
        )


class CompanyPublic(BaseModel):
    id: int
    slug: str
    name: str
    url: str
    website: str | None
    description: str
    description_html: str
    logo_url: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, company: Company) -> CompanyPublic:
        return cls(
            id=company.id,
            slug=company.slug,
            name=company.name,
            url=company_path(company),
            website=company.website,
            description=company.description,
            description_html=company.description_html,
            logo_url=logo_path(company),
            created_at=company.created_at,
            updated_at=company.updated_at,
        )


class CompanyList(BaseModel):
    items: list[CompanyPublic]
    total: int
    page: int
    per_page: int


def company_path(company: Company) -> str:
    return f"/companies/{company.id}-{company.slug}" if company.slug else f"/companies/{company.id}"


def logo_path(company: Company) -> str | None:
    """The logo's URL; its hash in the query lets browsers keep it for a year."""
    if company.logo_sha256 is None:
        return None
    return f"/companies/{company.id}/logo?v={company.logo_sha256[:16]}"
