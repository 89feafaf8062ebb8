"""What /openapi.json tells API clients about the jobs operations."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
async def spec(app, client) -> dict:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    return await response.get_json()


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = spec["components"]["schemas"][name]
    return schema


def body_schema(spec: dict, path: str, method: str) -> dict:
    operation = spec["paths"][path][method]
    return resolve(spec, operation["requestBody"]["content"]["application/json"]["schema"])


async def test_public_reads_need_no_credentials(spec) -> None:
    assert spec["paths"]["/api/v1/jobs"]["get"]["security"] == []
    assert spec["paths"]["/api/v1/jobs/{job_id}"]["get"]["security"] == []
    # Writes keep the global requirement (cookie or bearer).
    assert "security" not in spec["paths"]["/api/v1/jobs"]["post"]
    assert spec["security"]


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/jobs", "get", {"200", "422"}),
        ("/api/v1/jobs", "post", {"201", "400", "401", "403", "422"}),
        ("/api/v1/jobs/{job_id}", "get", {"200", "404"}),
        ("/api/v1/jobs/{job_id}", "patch", {"200", "400", "401", "403", "404", "422"}),
        ("/api/v1/jobs/{job_id}", "delete", {"401", "403", "404"}),
        ("/api/v1/jobs/preview", "post", {"200", "400", "401", "403", "422"}),
        ("/api/v1/audit", "get", {"200", "401", "403", "422"}),
    ],
)
async def test_error_responses_are_documented(spec, path, method, statuses) -> None:
    responses = spec["paths"][path][method]["responses"]
    assert statuses <= set(responses), set(responses)
    for status in statuses - {"200", "201"}:
        schema = responses[status]["content"]["application/json"]["schema"]
        assert resolve(spec, schema)["properties"].keys() == {"error"}


async def test_patch_does_not_offer_null_for_required_fields(spec) -> None:
    properties = body_schema(spec, "/api/v1/jobs/{job_id}", "patch")["properties"]
    for name in ("title", "content", "category", "employment_type", "location", "remote"):
        assert "anyOf" not in properties[name] and properties[name].get("type") != "null", name
    # Optional fields can still be cleared.
    assert {"type": "null"} in properties["apply_url"]["anyOf"]


async def test_text_fields_advertise_no_control_characters(spec) -> None:
    properties = body_schema(spec, "/api/v1/jobs", "post")["properties"]
    one_line = re.compile(properties["title"]["pattern"])
    assert one_line.search("Python developer") and not one_line.search("tab\there")
    multi_line = re.compile(properties["content"]["pattern"])
    assert multi_line.search("two\nlines\twith tab") and not multi_line.search("nul\x00")
