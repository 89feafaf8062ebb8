"""The jobs capability in an app: the list cache, its reactions to companies' changes, its pages
and API."""

from __future__ import annotations

from quart import Quart
from sqlalchemy.ext.asyncio import AsyncSession

from portal.events import hooks
from portal.events.extension import get_events
from portal.jobs import api, cache, service, views


async def _lock_jobs(session: AsyncSession, company_id: int) -> None:
    await service.lock_jobs_of_company(session, company_id)


def init_app(app: Quart) -> None:
    events = get_events(app)
    events.add_listener(cache.init_app(app).on_event)
    events.reactions.on(hooks.COMPANY_WILL_CHANGE, _lock_jobs)
    events.reactions.on(hooks.COMPANY_CHANGED, service.company_changed)
    events.reactions.on(hooks.COMPANY_DELETING, service.detach_company)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(api.blueprint)
