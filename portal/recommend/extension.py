"""Runs the recommender worker inside the web process on the embedded default."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncGenerator

from quart import Quart, current_app

from portal.config import get_settings
from portal.db import get_db
from portal.events.bus import Bus
from portal.events.extension import get_events
from portal.events.message import EventMessage
from portal.recommend import studio
from portal.recommend.clicks import ClickRecorder
from portal.recommend.engine import RecommenderConfig
from portal.recommend.reasons import reason_templates
from portal.recommend.service import RecommenderWorker
from portal.recommend.studio import QUEUE
from portal.recommend.studio_worker import Studio
from portal.recommend.turn import PROBE_SECONDS, probe

log = logging.getLogger(__name__)

PREFETCH = 256


async def start_worker(app: Quart) -> RecommenderWorker:
    """Rebuild the model and consume the clicks queue on this app's bus."""
    db = get_db(app)
    assert db.sessionmaker is not None
    settings = get_settings(app)
    algorithm = settings.recs_algorithm
    worker = RecommenderWorker(
        db.sessionmaker,
        RecommenderConfig(mode="blend" if algorithm == "ease" else algorithm),
        ease=algorithm == "ease",
        lambdas=settings.recs_ease_lambdas,
    )
    await worker.rebuild()
    if worker.ease is not None:
        # Training runs in a thread, on this schedule; the task lives as long as the app.
        app.extensions["portal.recommender.training"] = asyncio.create_task(
            worker.train_every(settings.recs_train_interval_seconds)
        )
    events = get_events(app)
    assert events.bus is not None
    if settings.amqp_url is not None:
        # A consumer of its own (not the embedded default's web process): it has no websockets
        # to feed, so it need not receive every event, its own ~one per click included.
        await events.stop_listening()
    # Up to PREFETCH clicks are delivered unacked; the worker takes all that arrived while it
    # stored the last batch, so a backlog is worked off in a few large transactions.
    queue = settings.queue_name("clicks")
    await events.bus.consume_work_batches(
        queue, worker.handle_batch, prefetch=PREFETCH, max_batch=PREFETCH
    )
    worker.turn.subscribed = asyncio.get_running_loop().time()
    if settings.amqp_url is None:
        worker.turn.solo = True
    else:
        app.extensions["portal.recommender.probes"] = asyncio.create_task(
            send_probes(events.bus, queue)
        )
    # The studio's figures, commands and tasks (portal.recommend.studio_worker).
    studio_worker = Studio(
        worker,
        db.sessionmaker,
        events.bus,
        clicks_queue=settings.queue_name("clicks"),
        default_algorithm=algorithm,
    )
    app.extensions["portal.recommender.studio"] = studio_worker
    await studio_worker.start()
    await events.bus.consume_work(settings.queue_name(QUEUE), studio_worker.handle)
    return worker


async def send_probes(bus: Bus, queue: str) -> None:
    """Put a probe on the clicks queue every few seconds (portal.recommend.turn)."""
    sender = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        await asyncio.sleep(PROBE_SECONDS)
        try:
            await bus.send_work(queue, probe(sender), message_id=f"probe-{uuid.uuid4().hex}")
        except Exception as error:  # the broker is away: the role says so; try again later
            log.debug("probe not sent: %s", error)


def get_click_recorder() -> ClickRecorder:
    return current_app.extensions["portal.clicks"]


class ServingChoice:
    """What this web worker knows serves: read at start-up, then each ``recs.algorithm``
    event (whichever worker the choice was made on) moves it."""

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm

    def listen(self, event: EventMessage) -> None:
        if event.type == "recs.algorithm" and isinstance(event.data, dict):
            algorithm = event.data.get("algorithm")
            if isinstance(algorithm, str):
                self.algorithm = algorithm


def get_serving() -> ServingChoice:
    return current_app.extensions["portal.recs.serving"]


def init_app(app: Quart) -> None:
    # The routes reach the click recorder through this module: imported once it is loaded.
    from portal.recommend import api, views

    app.register_blueprint(api.blueprint)
    app.register_blueprint(views.blueprint)
    serving = app.extensions["portal.recs.serving"] = ServingChoice(
        get_settings(app).recs_algorithm
    )
    get_events(app).add_listener(serving.listen)
    # The live list words the reasons of the lists it receives in the page's language.
    app.jinja_env.globals["recommendation_reasons"] = reason_templates

    @app.while_serving
    async def _click_recorder() -> AsyncGenerator[None, None]:
        sessionmaker = get_db().sessionmaker
        assert sessionmaker is not None
        async with sessionmaker() as session:
            serving.algorithm = await studio.serving_algorithm(session, serving.algorithm)
        recorder = app.extensions["portal.clicks"] = ClickRecorder(sessionmaker)
        yield
        await recorder.stop()

    @app.while_serving
    async def _in_process_worker() -> AsyncGenerator[None, None]:
        # With a broker, `portal consumer recommender` runs it as its own process.
        if get_settings().amqp_url is None:
            app.extensions["portal.recommender"] = await start_worker(current_app)  # type: ignore[arg-type]
        yield
        # A training thread cannot be interrupted; the schedule stops, and a fit under way
        # finishes in its thread and is dropped with the app.
        schedule = app.extensions.pop("portal.recommender.training", None)
        if schedule is not None:
            schedule.cancel()
        running = app.extensions.pop("portal.recommender.studio", None)
        if running is not None:
            await running.stop()
