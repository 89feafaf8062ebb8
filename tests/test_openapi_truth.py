"""/openapi.json is true: every status a real request gets is documented for its operation.

schemathesis found answers the document did not mention (429 from the rate limits, 405 where
another route's path shadows an id, 412 from tus) and refused requests the document called
valid (no body where it said the body was optional, missing headers it did not mark
required). portal.web.docs.DocumentedErrors adds what the routes' metadata implies; these
tests hold it to real answers.
"""

from __future__ import annotations

import base64
import importlib.util
from typing import Any

import pytest
import schemathesis
from quart import Quart
from quart.typing import TestClientProtocol as Client

from portal.accounts.models import Role
from portal.db import get_db
from portal.jobs import service as jobs_service
from portal.jobs.schemas import JobData
from tests.factories import signed_in_client
from tests.jobs.helpers import JOB_DEFAULTS

TUS = {"Tus-Resumable": "1.0.0"}
HUGE_ID = 2_000_000_000  # within the id range, and no row has it


@pytest.fixture
async def spec(client: Client) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return await response.get_json()


@pytest.fixture
async def callers(app: Quart) -> dict[str, Any]:
    """Clients by role, and a published job the admin made."""
    admin, admin_user = await signed_in_client(app, role=Role.ADMIN)
    user, _ = await signed_in_client(app)
    async with get_db(app).session_scope() as session:
        job = await jobs_service.create_job(session, admin_user, JobData(**JOB_DEFAULTS))
    return {"anonymous": app.test_client(), "user": user, "admin": admin, "job_id": job.id}


def documented(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    return spec["paths"][path][method.lower()]["responses"]


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    ]


def metadata(job_id: int) -> str:
    pairs = {"filename": "clip.mp4", "filetype": "video/mp4", "job_id": str(job_id)}
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


# ------------------------------------------------------------------------ the document


async def test_the_document_is_valid_openapi(spec) -> None:
    if importlib.util.find_spec("openapi_spec_validator") is not None:
        from openapi_spec_validator import validate

        validate(spec)
    # schemathesis resolves every operation (references, parameters, bodies) or says why not.
    loaded = schemathesis.openapi.from_dict(spec)
    labels = [result.ok().label for result in loaded.get_all_operations()]
    assert len(labels) == len(operations(spec)) > 10


async def test_every_operation_documents_503_with_retry_after(spec) -> None:
    for method, path, operation in operations(spec):
        response = operation["responses"].get("503")
        assert response, f"{method} {path}"
        assert "Retry-After" in response["headers"], f"{method} {path}"


async def test_rate_limited_routes_document_429_with_retry_after(spec) -> None:
    # quart-rate-limiter's limits (register, clicks) and the sign-in throttle (documented
    # by its route) alike.
    for method, path in [
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/clicks"),
        ("POST", "/api/v1/auth/login"),
    ]:
        response = documented(spec, method, path)["429"]
        assert response["headers"]["Retry-After"]["schema"]["type"] == "integer"
        assert response["content"]["application/json"]["schema"]
    assert "429" not in documented(spec, "GET", "/api/v1/jobs")


async def test_tus_operations_document_412(spec) -> None:
    for method, path in [
        ("POST", "/api/v1/uploads"),
        ("PATCH", "/api/v1/uploads/{upload_id}"),
        ("DELETE", "/api/v1/uploads/{upload_id}"),
        ("POST", "/api/v1/uploads/{upload_id}"),
    ]:
        assert "412" in documented(spec, method, path), f"{method} {path}"
    assert "412" not in documented(spec, "OPTIONS", "/api/v1/uploads")


async def test_a_shadowed_path_documents_405(spec) -> None:
    # /api/v1/jobs/preview is POST only: GET /api/v1/jobs/{job_id} with "preview" is a 405.
    assert "405" in documented(spec, "GET", "/api/v1/jobs/{job_id}")
    assert "405" in documented(spec, "DELETE", "/api/v1/jobs/{job_id}")
    # Nothing shadows a company's id.
    assert "405" not in documented(spec, "GET", "/api/v1/companies/{company_id}")


async def test_request_bodies_and_required_headers_are_required(spec) -> None:
    bodies = [(m, p, o["requestBody"]) for m, p, o in operations(spec) if "requestBody" in o]
    assert len(bodies) > 5
    for method, path, body in bodies:
        assert body.get("required") is True, f"{method} {path}"
        assert {"400", "413", "422"} <= set(documented(spec, method, path)), f"{method} {path}"

    def header_required(method: str, path: str) -> dict[str, bool]:
        parameters = spec["paths"][path][method.lower()]["parameters"]
        return {p["name"]: p.get("required", False) for p in parameters if p["in"] == "header"}

    assert header_required("POST", "/api/v1/uploads") == {
        "Tus-Resumable": True,
        "Upload-Length": True,
        "Upload-Metadata": True,
    }
    patch = header_required("PATCH", "/api/v1/uploads/{upload_id}")
    assert patch["Upload-Offset"] and patch["Tus-Resumable"] and not patch["Upload-Checksum"]
    tus_version = spec["paths"]["/api/v1/uploads"]["post"]["parameters"][0]["schema"]
    assert tus_version.get("const") == "1.0.0" or tus_version.get("enum") == ["1.0.0"]


async def test_success_answers_without_a_body_are_documented(spec) -> None:
    assert "201" in documented(spec, "POST", "/api/v1/uploads")
    assert "204" not in documented(spec, "POST", "/api/v1/uploads")
    assert {"200", "204"} <= set(documented(spec, "POST", "/api/v1/uploads/{upload_id}"))
    assert "204" in documented(spec, "DELETE", "/api/v1/jobs/{job_id}")
    for method, path, operation in operations(spec):
        assert any(s.startswith("2") for s in operation["responses"]), f"{method} {path}"


async def test_operations_without_credentials_imply_no_401(spec) -> None:
    for method, path in [("OPTIONS", "/api/v1/uploads"), ("POST", "/api/v1/auth/register")]:
        assert spec["paths"][path][method.lower()]["security"] == []
        assert "401" not in documented(spec, method, path)
    # Sign-in documents its own 401 (a wrong password), with no credentials required.
    assert spec["paths"]["/api/v1/auth/login"]["post"]["security"] == []
    assert "401" in documented(spec, "POST", "/api/v1/auth/login")
    assert "401" in documented(spec, "GET", "/api/v1/me")


# ---------------------------------------------------------------- real answers, documented

# (caller, method, path as requested, the operation's path, request keywords, status seen)
SAMPLE: list[tuple[str, str, str, str, dict[str, Any], int]] = [
    ("anonymous", "GET", "/api/v1/me", "/api/v1/me", {}, 401),
    ("anonymous", "GET", "/api/v1/jobs", "/api/v1/jobs", {}, 200),
    ("anonymous", "GET", "/api/v1/jobs?page=0", "/api/v1/jobs", {}, 422),
    ("anonymous", "GET", f"/api/v1/jobs/{HUGE_ID}", "/api/v1/jobs/{job_id}", {}, 404),
    ("anonymous", "GET", "/api/v1/jobs/preview", "/api/v1/jobs/{job_id}", {}, 405),
    ("anonymous", "OPTIONS", "/api/v1/uploads", "/api/v1/uploads", {}, 204),
    ("anonymous", "POST", "/api/v1/auth/logout", "/api/v1/auth/logout", {}, 401),
    (
        "anonymous",
        "POST",
        "/api/v1/auth/login",
        "/api/v1/auth/login",
        {"json": {"login": "nobody", "password": "wrong"}},
        401,
    ),
    ("user", "GET", "/api/v1/users", "/api/v1/users", {}, 403),
    ("user", "DELETE", f"/api/v1/jobs/{HUGE_ID}", "/api/v1/jobs/{job_id}", {}, 403),
    ("user", "DELETE", "/api/v1/me/sessions/999", "/api/v1/me/sessions/{session_id}", {}, 404),
    ("admin", "GET", "/api/v1/users?per_page=100000", "/api/v1/users", {}, 422),
    (
        "admin",
        "POST",
        "/api/v1/jobs",
        "/api/v1/jobs",
        {"data": b"", "headers": {"Content-Type": "application/json"}},
        400,
    ),
    (
        "admin",
        "POST",
        "/api/v1/jobs",
        "/api/v1/jobs",
        {"data": b"{not json", "headers": {"Content-Type": "application/json"}},
        400,
    ),
    ("admin", "POST", "/api/v1/jobs", "/api/v1/jobs", {"json": {"title": ""}}, 422),
    (
        "admin",
        "POST",
        "/api/v1/jobs",
        "/api/v1/jobs",
        {"json": {"content": "x" * (2 << 20)}},
        413,
    ),
    (
        "admin",
        "PATCH",
        f"/api/v1/jobs/{HUGE_ID}",
        "/api/v1/jobs/{job_id}",
        {"json": {"title": "New"}},
        404,
    ),
    ("admin", "DELETE", "/api/v1/jobs/preview", "/api/v1/jobs/{job_id}", {}, 405),
    (
        "admin",
        "POST",
        "/api/v1/uploads",
        "/api/v1/uploads",
        {"headers": {"Tus-Resumable": "0.2.2"}},
        412,
    ),
    ("admin", "POST", "/api/v1/uploads", "/api/v1/uploads", {}, 403),  # CSRF: no tus header
    (
        "admin",
        "PATCH",
        "/api/v1/uploads/nosuchupload",
        "/api/v1/uploads/{upload_id}",
        {"headers": {"Upload-Offset": "0"}},
        412,
    ),
    (
        "admin",
        "DELETE",
        "/api/v1/uploads/nosuchupload",
        "/api/v1/uploads/{upload_id}",
        {"headers": TUS},
        404,
    ),
    (
        "admin",
        "POST",
        "/api/v1/uploads/nosuchupload",
        "/api/v1/uploads/{upload_id}",
        {"headers": TUS},
        405,
    ),
]


@pytest.mark.parametrize(
    ("caller", "method", "url", "path", "keywords", "status"),
    SAMPLE,
    ids=[f"{caller} {method} {url[:48]} {status}" for caller, method, url, _, _, status in SAMPLE],
)
async def test_real_answers_are_documented(
    spec, callers, caller, method, url, path, keywords, status
) -> None:
    response = await callers[caller].open(url, method=method, **keywords)
    assert response.status_code == status, await response.get_data(as_text=True)
    assert str(status) in documented(spec, method, path), f"{method} {path}: {status}"


async def test_tus_answers_are_documented(spec, callers) -> None:
    admin = callers["admin"]
    headers = TUS | {"Upload-Length": "10", "Upload-Metadata": metadata(callers["job_id"])}
    created = await admin.post("/api/v1/uploads", headers=headers)
    assert created.status_code == 201, await created.get_data(as_text=True)
    assert "201" in documented(spec, "POST", "/api/v1/uploads")
    location = created.headers["Location"]
    answers = [
        ("HEAD", {"headers": TUS}, "POST", 200, {"X-HTTP-Method-Override": "HEAD"}),
        ("PATCH", {"headers": TUS}, "PATCH", 415, {}),
        ("PATCH", {"headers": {"Upload-Offset": "0"}}, "PATCH", 412, {}),
    ]
    for _, keywords, method, status, override in answers:
        keywords = {**keywords, "headers": keywords["headers"] | override}
        response = await admin.open(location, method=method, **keywords)
        assert response.status_code == status, await response.get_data(as_text=True)
        assert str(status) in documented(spec, method, "/api/v1/uploads/{upload_id}")
    missing = await admin.patch(location, headers={"Upload-Offset": "0"})
    assert missing.headers["Tus-Version"] == "1.0.0"
    terminated = await admin.delete(location, headers=TUS)
    assert terminated.status_code == 204
    assert "204" in documented(spec, "DELETE", "/api/v1/uploads/{upload_id}")


async def test_a_real_429_is_documented_with_its_retry_after(spec, callers) -> None:
    # 20 registrations per ten minutes per caller; invalid bodies count as well.
    client = callers["anonymous"]
    for _ in range(20):
        response = await client.post("/api/v1/auth/register", json={})
        assert response.status_code == 422
    limited = await client.post("/api/v1/auth/register", json={})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 0
    assert "Retry-After" in documented(spec, "POST", "/api/v1/auth/register")["429"]["headers"]
