"""The indexes of stories_told_by: alerts (rule_id, article_id), alert_updates (article_id)

Revision ID: c4f7a1d9e2b6
Revises: c4f6a8b0d2e5
Create Date: 2026-12-02 03:45:00.000000

Recording an alert asks which stories of the rule its articles already told
(streams/store/alerts.py, stories_told_by). Without these the alerts are found through the
(rule_id, story_id) key, reading every alert of the rule, and the updates through every
update of those alerts: the cost grew with a rule's alerts, not with the articles asked of.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = 'c4f7a1d9e2b6'
down_revision: str | Sequence[str] | None = 'c4f6a8b0d2e5'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_rule_article', ['rule_id', 'article_id'], unique=False)
    with op.batch_alter_table('alert_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_updates_article_id'), ['article_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_updates_article_id'))
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_rule_article')
