"""stories.sides: a story's sides in a column, candidates loaded by them; the windows' index
reads `opened` too

Revision ID: b8e2f4a6c1d3
Revises: a3d5c7e9f1b2
Create Date: 2026-12-02 01:00:00.000000

`sides` holds the summary's sides as "|a|b|" ("|" with none; a "|" inside a name becomes
"/"), as streams/store/stories.py writes it. The index of the candidates' windows,
(type, closes), gains `opened`, so a window's stories are told apart from its index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b8e2f4a6c1d3'
down_revision: str | Sequence[str] | None = 'a3d5c7e9f1b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_stories = sa.table('stories', sa.column('id', sa.String), sa.column('sides', sa.Text),
                    sa.column('summary', sa.JSON))


def upgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sides', sa.Text(), nullable=True))
        batch_op.drop_index('ix_stories_type_closes')
        batch_op.create_index('ix_stories_type_closes_opened', ['type', 'closes', 'opened'],
                              unique=False)
    conn = op.get_bind()
    for story in conn.execute(sa.select(_stories.c.id, _stories.c.summary)).all():
        sides = (story.summary or {}).get('sides') or []
        conn.execute(sa.update(_stories).where(_stories.c.id == story.id).values(
            sides='|' + ''.join(str(s).replace('|', '/') + '|' for s in sides)))


def downgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_type_closes_opened')
        batch_op.create_index('ix_stories_type_closes', ['type', 'closes'], unique=False)
        batch_op.drop_column('sides')
