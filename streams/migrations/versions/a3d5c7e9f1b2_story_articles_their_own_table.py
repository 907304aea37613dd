"""story_articles: a story's article ids in their own table; stories.opened

Revision ID: a3d5c7e9f1b2
Revises: 9d3e5a1b7c20
Create Date: 2026-12-01 21:20:00.000000

The ids a story's summary listed (`article_ids`, rewritten whole on every update) move to
story_articles, one row each, with the article's source and publication date when the store
still has the article; the summary keeps the rest. `opened`, the publication date of a
story's first article (which candidates are loaded by), comes from the summary, else the
anchor. Downgrade puts the ids back in the summaries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a3d5c7e9f1b2'
down_revision: str | Sequence[str] | None = '9d3e5a1b7c20'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TICK = dt.timedelta(microseconds=1)
_stories = sa.table(
    'stories', sa.column('id', sa.String), sa.column('anchor', sa.String),
    sa.column('opened', sa.String), sa.column('first_article', sa.String),
    sa.column('summary', sa.JSON), sa.column('created', sa.DateTime(timezone=True)),
)
_articles = sa.table('articles', sa.column('id', sa.String), sa.column('source', sa.Text),
                     sa.column('published', sa.String))
_story_articles = sa.table(
    'story_articles', sa.column('story_id', sa.String), sa.column('article_id', sa.String),
    sa.column('source', sa.Text), sa.column('published', sa.String),
    sa.column('added', sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened', sa.String(length=10), nullable=True))
        batch_op.create_index('ix_stories_type_closes', ['type', 'closes'], unique=False)
    op.create_table(
        'story_articles',
        sa.Column('story_id', sa.String(length=32), nullable=False),
        sa.Column('article_id', sa.String(length=32), nullable=False),
        sa.Column('source', sa.Text(), server_default='', nullable=False),
        sa.Column('published', sa.String(length=10), nullable=True),
        sa.Column('added', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('story_id', 'article_id'),
    )
    with op.batch_alter_table('story_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_story_articles_article_id'), ['article_id'],
                              unique=False)
    conn = op.get_bind()
    for story in conn.execute(sa.select(_stories)).all():
        summary = dict(story.summary or {})
        ids = list(dict.fromkeys(summary.pop('article_ids', None) or [story.first_article]))
        known = {a.id: a for a in conn.execute(
            sa.select(_articles).where(_articles.c.id.in_(ids)))}
        conn.execute(sa.insert(_story_articles), [
            {'story_id': story.id, 'article_id': i,
             'source': known[i].source if i in known else '',
             'published': (known[i].published or '')[:10] or None if i in known else None,
             'added': story.created + n * _TICK}  # keeps their order
            for n, i in enumerate(ids)
        ])
        conn.execute(sa.update(_stories).where(_stories.c.id == story.id).values(
            summary=summary, opened=summary.get('opened') or story.anchor))


def downgrade() -> None:
    conn = op.get_bind()
    for story in conn.execute(sa.select(_stories.c.id, _stories.c.summary)).all():
        ids = [r.article_id for r in conn.execute(
            sa.select(_story_articles.c.article_id)
            .where(_story_articles.c.story_id == story.id)
            .order_by(_story_articles.c.added, _story_articles.c.article_id))]
        conn.execute(sa.update(_stories).where(_stories.c.id == story.id).values(
            summary={**(story.summary or {}), 'article_ids': ids}))
    with op.batch_alter_table('story_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_story_articles_article_id'))
    op.drop_table('story_articles')
    with op.batch_alter_table('stories', schema=None) as batch_op:
        batch_op.drop_index('ix_stories_type_closes')
        batch_op.drop_column('opened')
