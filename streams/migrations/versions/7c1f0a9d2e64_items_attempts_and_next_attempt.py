"""items: attempts and next_attempt, for retrying failed entries with backoff

Revision ID: 7c1f0a9d2e64
Revises: 4b818b9ef3ce
Create Date: 2026-12-01 16:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7c1f0a9d2e64'
down_revision: str | Sequence[str] | None = '4b818b9ef3ce'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('attempts', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('next_attempt', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('next_attempt')
        batch_op.drop_column('attempts')
