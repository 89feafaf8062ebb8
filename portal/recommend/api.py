"""JSON API: POST /api/v1/clicks and GET /api/v1/recommendations."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel
from quart import Blueprint
from quart_rate_limiter import rate_limit
from quart_schema import (
    document_response,
    validate_querystring,
    validate_request,
    validate_response,
)

from portal.accounts.auth import remembers_caller, require_user
from portal.db import MAX_ID, end_read, get_session
from portal.errors import ErrorEnvelope, not_found
from portal.i18n import gettext as _
from portal.jobs.schemas import JobSummary
from portal.recommend import service
from portal.recommend.extension import get_click_recorder

blueprint = Blueprint("recommend_api", __name__, url_prefix="/api/v1")


class ClickData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_id: int = Field(ge=1, le=MAX_ID)


class ClickRecorded(BaseModel):
    id: int


class RecommendationFilter(BaseModel):
    limit: int = Field(default=10, ge=1, le=50)


class RecommendationPublic(BaseModel):
    job: JobSummary
    score: float
    reason: str
    source: Literal["item", "user", "blend", "popular", "ease"]


class RecommendationList(RootModel[list[RecommendationPublic]]):
    pass


@blueprint.post("/clicks")
@remembers_caller
@rate_limit(120, timedelta(minutes=1))
@validate_request(ClickData)
@validate_response(ClickRecorded, 201)
@document_response(ErrorEnvelope, 401)
@document_response(ErrorEnvelope, 404)
@document_response(ErrorEnvelope, 429)
async def post_click(data: ClickData) -> tuple[ClickRecorded, int]:
    """Record that the signed-in user opened a job (feeds the recommender)."""
    user = await require_user()
    # The click is written in a batch on a connection of its own: give this request's back
    # first (see the job page).
    await end_read(get_session())
    click_id = await get_click_recorder().record(user.id, data.job_id)
    if click_id is None:
        raise not_found(_("No such job."))
    return ClickRecorded(id=click_id), 201


@blueprint.get("/recommendations")
@validate_querystring(RecommendationFilter)
@validate_response(RecommendationList)
@document_response(ErrorEnvelope, 401)
async def get_recommendations(query_args: RecommendationFilter) -> RecommendationList:
    """The signed-in user's top jobs with a score and a reason; popular ones when cold."""
    user = await require_user()
    items = await service.recommendations_for(get_session(), user, query_args.limit)
    return RecommendationList(
        [
            RecommendationPublic(
                job=JobSummary.of(item["job"]),
                score=item["score"],
                reason=item["reason"],
                source=item["source"],
            )
            for item in items
        ]
    )
