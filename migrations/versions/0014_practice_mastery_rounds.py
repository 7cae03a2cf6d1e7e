"""practice mastery by rounds: how each answer counts, and the summaries of rounds

Mastery now counts only first tries in a module's round (courses.practice_modules). Each
practice answer gets its round, whether it counts and whether it ended its round, worked out
here by replaying every trainee's answers in time order against the modules as they are now
(the latest published manual's sections and the active practice items), with the pure rule of
courses.practice_modules; the summaries swap "the last 10 answers" for the rounds and are
recomputed from the answers.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import json
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

from courses.practice_modules import OTHER_MODULE, Round, group_into_modules, place, round_after

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

SUMMARY_COLUMNS = ('rounds_done', 'round_items', 'round_correct', 'open_tried')
BACKFILL = """
INSERT INTO practice_summaries (user_id, course_id, module, answers, correct, rounds_done,
                                round_items, round_correct, open_tried)
SELECT user_id, course_id, module, count(*),
       sum(CASE WHEN correct THEN 1 ELSE 0 END),
       coalesce(max(done), 0),
       sum(CASE WHEN counts AND round_number = done THEN 1 ELSE 0 END),
       sum(CASE WHEN counts AND round_number = done AND correct THEN 1 ELSE 0 END),
       sum(CASE WHEN counts AND (done IS NULL OR round_number > done) THEN 1 ELSE 0 END)
FROM (SELECT user_id, course_id, module, correct, counts, round_number,
             max(CASE WHEN ends_round THEN round_number END)
                 OVER (PARTITION BY user_id, course_id, module) AS done
      FROM practice_answers) AS rounds
GROUP BY user_id, course_id, module
"""
OLD_BACKFILL = """
INSERT INTO practice_summaries (user_id, course_id, module, answers, correct, recent,
                                recent_correct)
SELECT user_id, course_id, module, count(*),
       sum(CASE WHEN correct THEN 1 ELSE 0 END),
       sum(CASE WHEN rank <= 10 THEN 1 ELSE 0 END),
       sum(CASE WHEN rank <= 10 AND correct THEN 1 ELSE 0 END)
FROM (SELECT user_id, course_id, module, correct,
             row_number() OVER (PARTITION BY user_id, course_id, module
                                ORDER BY created_at DESC, id DESC) AS rank
      FROM practice_answers) AS ranked
GROUP BY user_id, course_id, module
"""


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _module_items(conn, course_id: int) -> dict[str, tuple[str, ...]]:
    """Module id -> its item keys now, as courses.services.practice.modules derives them."""
    outline = conn.execute(sa.text(
        "SELECT outline FROM manual_versions WHERE course_id = :c AND status = 'published' "
        "ORDER BY number DESC LIMIT 1"), {"c": course_id}).scalar()
    sections = [(entry["id"], entry["title"]) for entry in _json(outline) or []]
    items = [(key, _json(item_sections) or [])
             for key, item_sections, pools in conn.execute(sa.text(
                 "SELECT key, sections, pools FROM items WHERE course_id = :c "
                 "AND status = 'active' ORDER BY position, id"), {"c": course_id})
             if 'practice' in (_json(pools) or [])]
    return {module.id: module.item_keys for module in group_into_modules(sections, items)}


def _replay(conn) -> None:
    """Each answer's round, count and round end, trainee by trainee, in time order."""
    rows = conn.execute(sa.text(
        "SELECT a.id, a.user_id, a.course_id, a.module, i.key FROM practice_answers a "
        "JOIN items i ON i.id = a.item_id ORDER BY a.user_id, a.course_id, a.created_at, a.id"))
    modules: dict[int, dict[str, tuple[str, ...]]] = {}
    rounds: dict[tuple[int, int, str], Round] = defaultdict(Round)
    previous: dict[tuple[int, int], str] = {}
    updates = []
    for answer_id, user_id, course_id, module, key in rows.all():
        if course_id not in modules:
            modules[course_id] = _module_items(conn, course_id)
        # A module that is gone (or an item that left it) still makes rounds of what it had.
        item_keys = modules[course_id].get(module) or modules[course_id].get(OTHER_MODULE, ())
        item_keys = item_keys if key in item_keys else (*item_keys, key)
        current = rounds[(user_id, course_id, module)]
        placed = place(item_keys, current, key, previous.get((user_id, course_id)))
        rounds[(user_id, course_id, module)] = round_after(current, key, placed)
        previous[(user_id, course_id)] = key
        updates.append({"id": answer_id, "r": placed.round, "c": placed.counts,
                        "e": placed.ends_round})
    if updates:
        conn.execute(sa.text("UPDATE practice_answers SET round_number = :r, counts = :c, "
                             "ends_round = :e WHERE id = :id"), updates)


def upgrade():
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_number', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('counts', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('ends_round', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    _replay(op.get_bind())
    op.execute("DELETE FROM practice_summaries")
    with op.batch_alter_table('practice_summaries', schema=None) as batch_op:
        batch_op.drop_column('recent')
        batch_op.drop_column('recent_correct')
        for name in SUMMARY_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False))
    op.execute(BACKFILL)


def downgrade():
    op.execute("DELETE FROM practice_summaries")
    with op.batch_alter_table('practice_summaries', schema=None) as batch_op:
        for name in SUMMARY_COLUMNS:
            batch_op.drop_column(name)
        batch_op.add_column(sa.Column('recent', sa.Integer(), nullable=False))
        batch_op.add_column(sa.Column('recent_correct', sa.Integer(), nullable=False))
    op.execute(OLD_BACKFILL)
    with op.batch_alter_table('practice_answers', schema=None) as batch_op:
        batch_op.drop_column('ends_round')
        batch_op.drop_column('counts')
        batch_op.drop_column('round_number')
