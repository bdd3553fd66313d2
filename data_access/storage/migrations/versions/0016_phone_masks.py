"""Caller phone masks that leave ≥ 10⁸ candidates, and phones in rejected rows masked

The raw numbers are gone, so the stored masks are cut from themselves: the old `138****5678` (11 characters
whatever the number's length) becomes `1*********8` for a mobile and all stars otherwise (the length of a
non-mobile number is unknown, so none of its digits can be shown safely). Rejected rows get the same for their
masked caller phone and data_access.ingest.privacy.mask_row for every other phone-like value (联系电话, 诉求人电话 …).

Revision ID: 0016
Revises: 0012
"""
import json
import re

import sqlalchemy as sa
from alembic import op

from data_access.ingest.privacy import mask_row

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OLD_MASK = "___****____"
_OLD_IN_TEXT = re.compile(r"(?<![\d*])(\d)\d\d\*{4}\d{3}(\d)(?![\d*])")
CHUNK = 2000

cases = sa.table("cases", sa.column("caller_masked", sa.String))
rejected_rows = sa.table("rejected_rows", sa.column("id", sa.Integer), sa.column("raw", sa.Text))


def _recut(m: re.Match) -> str:
    return f"1{'*' * 9}{m.group(2)}" if m.group(1) == "1" else "*" * 11


def upgrade():
    masked = cases.c.caller_masked
    op.execute(cases.update().where(masked.like(OLD_MASK), ~masked.like("1%")).values(caller_masked="*" * 11))
    op.execute(cases.update().where(masked.like(OLD_MASK), masked.like("1%"))
               .values(caller_masked=sa.literal("1" + "*" * 9, sa.String) + sa.func.substr(masked, 11, 1)))
    conn = op.get_bind()
    last = 0
    while rows := conn.execute(sa.select(rejected_rows.c.id, rejected_rows.c.raw).where(rejected_rows.c.id > last)
                               .order_by(rejected_rows.c.id).limit(CHUNK)).all():
        for row_id, raw in rows:
            fixed = json.dumps(mask_row(json.loads(_OLD_IN_TEXT.sub(_recut, raw))), ensure_ascii=False)
            if fixed != raw:
                conn.execute(rejected_rows.update().where(rejected_rows.c.id == row_id).values(raw=fixed))
        last = rows[-1][0]


def downgrade():
    pass  # a mask cannot be undone
