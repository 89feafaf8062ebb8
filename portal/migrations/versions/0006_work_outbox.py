"""Work-queue messages get their own outbox, so the event log's ids are the live events' alone.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WORK_PREFIX = "work:"


def upgrade() -> None:
    op.create_table(
        "work_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("queue", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_outbox")),
    )
    with op.batch_alter_table("work_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_outbox_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_work_outbox_unpublished",
            ["id"],
            unique=False,
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
    # Work still waiting for the broker moves over (consumers deduplicate by what the data
    # names, a click or a video, never by the row's id); sent work is of no further use.
    op.execute(
        sa.text(
            "INSERT INTO work_outbox (queue, data, created_at) "
            "SELECT substr(channel, :skip), data, created_at FROM events "
            "WHERE channel LIKE 'work:%' AND published_at IS NULL ORDER BY id"
        ).bindparams(skip=len(WORK_PREFIX) + 1)
    )
    op.execute(sa.text("DELETE FROM events WHERE channel LIKE 'work:%'"))


def downgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO events (channel, type, data, created_at) "
            "SELECT :prefix || queue, 'work', data, created_at FROM work_outbox "
            "WHERE published_at IS NULL ORDER BY id"
        ).bindparams(prefix=WORK_PREFIX)
    )
    with op.batch_alter_table("work_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_work_outbox_unpublished")
        batch_op.drop_index(batch_op.f("ix_work_outbox_created_at"))
    op.drop_table("work_outbox")
