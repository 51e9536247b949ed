"""A portal UID carries this school year's classes and subjects only (R7.2)."""

import datetime as dt

from app.models import ClassGroup, SchoolYear, Subject
from app.services import access, groups, uids


def test_past_years_carry_no_access(app, make_staff):
    teacher = make_staff("ivanova", roles=["teacher"])
    past = SchoolYear.create(name="2025/2026", start_date=dt.date(2025, 9, 1), end_date=dt.date(2026, 5, 31))
    now = SchoolYear.create(
        name="2026/2027", start_date=dt.date(2026, 9, 1), end_date=dt.date(2027, 5, 31), is_current=True
    )
    maths = Subject.create(name="Математика")
    old = ClassGroup.create(year=past, grade=5, letter="А", class_teacher=teacher)
    new = ClassGroup.create(year=now, grade=6, letter="А", class_teacher=teacher)
    groups.assign_teacher(None, groups.class_journal(old, maths), teacher)
    groups.assign_teacher(None, groups.class_journal(new, maths), teacher)
    # The scope lists (group, subject) pairs: this year's journal is 6А's whole-class one.
    new_group = groups.whole_class_group(new)

    scope = access.uid_scope(teacher)
    assert [(g.id, s.id) for g, s in scope["subjects"]] == [(new_group.id, maths.id)]
    assert [c.id for c in scope["classes"]] == [new.id]
    batch = uids.uid_scopes([teacher.id])[teacher.id]
    assert [(g.id, s.id) for g, s in batch.subjects] == [(new_group.id, maths.id)]
    assert [c.id for c in batch.classes] == [new.id]
