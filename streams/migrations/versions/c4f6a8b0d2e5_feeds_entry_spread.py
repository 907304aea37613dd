"""feeds.entry_spread: how far a feed's gaps stray from their median (its regularity)

Revision ID: c4f6a8b0d2e5
Revises: b8e2f4a6c1d3
Create Date: 2026-12-02 04:00:00.000000

Only a regular feed is timed by its phase (streams/poll/rhythm.py). Feeds recorded before
have none until their next new entries are seen: they keep the interval alone until then.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c4f6a8b0d2e5'
down_revision: str | Sequence[str] | None = 'b8e2f4a6c1d3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_spread', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('entry_spread')
