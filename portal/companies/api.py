"""JSON API of companies: /api/v1/companies and their logos."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import (
    document_response,
    security_scheme,
    validate_querystring,
    validate_request,
    validate_response,
)

from portal.accounts.auth import require_admin
from portal.companies import service, uploads
from portal.companies.schemas import (
    CompanyData,
    CompanyFilter,
    CompanyList,
    CompanyPatch,
    CompanyPublic,
)
from portal.db import get_session
from portal.errors import ErrorEnvelope

blueprint = Blueprint("companies_api", __name__, url_prefix="/api/v1")


@blueprint.get("/companies")
@security_scheme([])  # public: no credentials needed
@validate_querystring(CompanyFilter)
@validate_response(CompanyList)
@document_response(ErrorEnvelope, 422)
async def get_companies(query_args: CompanyFilter) -> CompanyList:
    """Companies by name."""
    page = await service.list_companies(
        get_session(), page=query_args.page, per_page=query_args.per_page
    )
    return CompanyList(
        items=[CompanyPublic.of(company) for company in page.items],
        total=page.total,
        page=query_args.page,
        per_page=query_args.per_page,
    )


@blueprint.get("/companies/<int:company_id>")
@security_scheme([])  # public
@validate_response(CompanyPublic)
@document_response(ErrorEnvelope, 404)
async def get_company(company_id: int) -> CompanyPublic:
    """One company."""
    return CompanyPublic.of(await service.get_company(get_session(), company_id))


@blueprint.post("/companies")
@validate_request(CompanyData)
@validate_response(CompanyPublic, 201)
@document_response(ErrorEnvelope, 400)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 422)
async def post_company(data: CompanyData) -> tuple[CompanyPublic, int]:
    """Create a company (admins only)."""
    await require_admin()
    return CompanyPublic.of(await service.create_company(get_session(), data)), 201


@blueprint.patch("/companies/<int:company_id>")
@validate_request(CompanyPatch)
@validate_response(CompanyPublic)
@document_response(ErrorEnvelope, 400)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
@document_response(ErrorEnvelope, 422)
async def patch_company(company_id: int, data: CompanyPatch) -> CompanyPublic:
    """Edit a company (admins only); its public jobs' live cards follow a new name."""
    await require_admin()
    company = await service.update_company(get_session(), company_id, data.changes())
    return CompanyPublic.of(company)


@blueprint.delete("/companies/<int:company_id>")
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
async def delete_company(company_id: int) -> tuple[str, int]:
    """Delete a company (admins only); its jobs stay, without a company."""
    actor = await require_admin()
    logo = await service.delete_company(get_session(), actor, company_id)
    uploads.logo_store().remove(logo)
    return "", 204


@blueprint.put("/companies/<int:company_id>/logo")
@validate_response(CompanyPublic)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
@document_response(ErrorEnvelope, 413)
@document_response(ErrorEnvelope, 415)
async def put_logo(company_id: int) -> CompanyPublic:
    """Set a company's logo (admins only): the image itself is the body, PNG, JPEG or WebP
    (told by its bytes, whatever the Content-Type says), at most 2 MiB. It is re-encoded;
    ``logo_url`` serves the result."""
    await require_admin()
    data = await uploads.read_body()
    return CompanyPublic.of(await uploads.replace_logo(get_session(), company_id, data))


@blueprint.delete("/companies/<int:company_id>/logo")
@validate_response(CompanyPublic)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 403)
@document_response(ErrorEnvelope, 404)
async def delete_logo(company_id: int) -> CompanyPublic:
    """Take a company's logo away (admins only)."""
    await require_admin()
    return CompanyPublic.of(await uploads.remove_logo(get_session(), company_id))
