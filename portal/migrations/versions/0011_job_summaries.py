"""Job summaries again: headings left out, blocks kept apart (issue 13).

Summaries are stored with each job and were written by the older rule, which ran a
description's headings into its text; this writes every job's summary anew from its rendered
content. Nothing to undo: the older summaries are not needed back.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:30:00
"""

import sqlalchemy as sa
from alembic import op

from portal.jobs.markdown import summarize

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    connection = op.get_bind()
    jobs = sa.table(
        "jobs", sa.column("id", sa.Integer), sa.column("content_html"), sa.column("summary")
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(jobs.c.id, jobs.c.content_html, jobs.c.summary)
            .where(jobs.c.id > after)
            .order_by(jobs.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        changed = [
            {"job_id": id_, "summary": summary}
            for id_, html, old in rows
            if (summary := summarize(html or "")) != old
        ]
        if changed:
            connection.execute(
                jobs.update().where(jobs.c.id == sa.bindparam("job_id")),
                changed,
            )
        after = rows[-1][0]


def downgrade() -> None:
    return None
