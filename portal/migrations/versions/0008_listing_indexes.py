"""The public list's indexes cover its filters (expiry, remote, type, location), so counting
the matches of a big catalogue reads the index rather than every job's row.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:40:00
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

FILTERS = ["expires_at", "remote", "employment_type"]


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_public")
        batch_op.drop_index("ix_jobs_category_public")
        batch_op.create_index("ix_jobs_public", ["status", "published_at", *FILTERS, "location"])
        batch_op.create_index(
            "ix_jobs_category_public", ["category", "status", "published_at", *FILTERS]
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_index("ix_jobs_public")
        batch_op.drop_index("ix_jobs_category_public")
        batch_op.create_index("ix_jobs_public", ["status", "published_at"])
        batch_op.create_index("ix_jobs_category_public", ["category", "status", "published_at"])
