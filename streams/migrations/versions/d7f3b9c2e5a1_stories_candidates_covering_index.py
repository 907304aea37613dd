"""stories: the candidates' index covers the candidates query (sides, created, updated, id)

Revision ID: d7f3b9c2e5a1
Revises: c4f7a1d9e2b6
Create Date: 2026-12-02 04:20:00.000000

The index of the candidates' windows, (type, closes, opened), gains the columns the
candidates query reads besides: `sides` (which stories an event could join), and `created`,
`updated` and `id` (what it returns). A window's stories are then found, told apart by their
sides and returned from the index alone, without a read of each one's row: the open stories
of a type are many, and more the longer the store runs (a truce stays open up to 180 days).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'd7f3b9c2e5a1'
down_revision: str | Sequence[str] | None = 'c4f7a1d9e2b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_type_closes_opened')
        batch_op.create_index('ix_stories_candidates',
                              ['type', 'closes', 'opened', 'sides', 'created', 'updated', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_candidates')
        batch_op.create_index('ix_stories_type_closes_opened', ['type', 'closes', 'opened'],
                              unique=False)
