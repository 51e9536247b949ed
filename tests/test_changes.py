"""Exported rows take a change number on every save and leave a tombstone when deleted."""

import pytest
from peewee import IntegrityError

from app.db import db
from app.models import ChangeCounter, Guardian, Student, StudentGuardian, Subject, Tombstone
from app.models.changes import UnnumberedWrite


def test_every_save_takes_a_new_number(app):
    start = ChangeCounter.current()
    subject = Subject.create(name="Химия")
    first = subject.change_no
    subject.short_name = "Хим."
    subject.save()
    assert start < first < subject.change_no == ChangeCounter.current()


def test_delete_leaves_a_tombstone(app):
    subject = Subject.create(name="Химия")
    subject.delete_instance()
    stone = Tombstone.get(Tombstone.record_type == "subject", Tombstone.record_id == subject.id)
    assert stone.change_no == ChangeCounter.current() > subject.change_no


def test_recursive_delete_is_refused(app):
    subject = Subject.create(name="Химия")
    with pytest.raises(ValueError):
        subject.delete_instance(recursive=True)
    assert Subject.get_or_none(Subject.id == subject.id) is not None


def test_a_rolled_back_save_gives_its_number_back(app):
    before = ChangeCounter.current()
    with pytest.raises(RuntimeError):
        with db.atomic():
            Subject.create(name="Химия")
            raise RuntimeError("abort")
    assert ChangeCounter.current() == before
    assert Subject.select().count() == 0


def test_search_ignores_case_in_cyrillic(app):
    Subject.create(name="Белорусский язык")
    Subject.create(name="ЁЛОЧНЫЙ кружок")
    assert [s.name for s in Subject.select().where(Subject.name ** "%бел%")] == ["Белорусский язык"]
    assert [s.name for s in Subject.select().where(Subject.name ** "%ёлоч%")] == ["ЁЛОЧНЫЙ кружок"]
    assert Subject.select().where(Subject.name ** "%xyz%").count() == 0


# --- class-level writes: numbered, tombstoned, or refused -------------------------------------


def numbers(model=Subject):
    return {row.name: row.change_no for row in model.select()}


def stones():
    return {(t.record_type, t.record_id): t.change_no for t in Tombstone.select()}


@pytest.fixture
def three(app):
    """Three subjects, each saved through the instance path."""
    return [Subject.create(name=name) for name in ("Алгебра", "Биология", "Химия")]


def test_instance_paths_take_exactly_one_number_each(app):
    start = ChangeCounter.current()
    subject = Subject.create(name="Химия")
    assert subject.change_no == start + 1 == Subject.get_by_id(subject.id).change_no
    subject.short_name = "Хим."
    subject.save()
    assert subject.change_no == start + 2 == Subject.get_by_id(subject.id).change_no
    subject.delete_instance()
    assert stones() == {("subject", subject.id): start + 3} and ChangeCounter.current() == start + 3


def test_class_level_update_gives_the_rows_it_touches_a_new_number(three):
    before = numbers()
    top = ChangeCounter.current()
    touched = Subject.update(short_name="—", change_no=0).where(Subject.name != "Химия").execute()
    assert touched == 2
    after = numbers()
    # One new number for the statement, above everything handed out before; a given change_no is ignored.
    assert after["Алгебра"] == after["Биология"] == top + 1 == ChangeCounter.current()
    assert after["Химия"] == before["Химия"]
    assert {s.short_name for s in Subject.select().where(Subject.name != "Химия")} == {"—"}


def test_class_level_update_in_a_rolled_back_transaction_leaves_nothing(three):
    before, top = numbers(), ChangeCounter.current()
    with pytest.raises(RuntimeError):
        with db.atomic():
            Subject.update(short_name="—").execute()
            raise RuntimeError("abort")
    assert numbers() == before and ChangeCounter.current() == top


def test_bulk_update_numbers_rows_and_instances(three):
    top = ChangeCounter.current()
    for subject in three:
        subject.short_name = subject.name[:3]
    assert Subject.bulk_update(three, fields=[Subject.short_name]) == 3
    assert set(numbers().values()) == {top + 1} == {s.change_no for s in three}


def test_class_level_delete_leaves_a_tombstone_for_every_row(three):
    algebra, biology, chemistry = three
    top = ChangeCounter.current()
    assert Subject.delete().where(Subject.name.in_(["Алгебра", "Биология"])).execute() == 2
    assert set(numbers()) == {"Химия"}
    assert stones() == {("subject", algebra.id): top + 1, ("subject", biology.id): top + 2}
    assert ChangeCounter.current() == top + 2
    # Without a WHERE: every row, each with its tombstone; delete_by_id takes the same path.
    assert Subject.delete().execute() == 1
    assert stones()[("subject", chemistry.id)] == top + 3
    extra = Subject.create(name="Физика")
    assert Subject.delete_by_id(extra.id) == 1
    assert stones()[("subject", extra.id)] == ChangeCounter.current()


def test_class_level_delete_that_fails_leaves_no_tombstone(app):
    student = Student.create(last_name="Петров", first_name="Иван")
    mother = Guardian.create(last_name="Петрова", first_name="Анна")
    StudentGuardian.create(student=student, guardian=mother, relation="mother")
    top = ChangeCounter.current()
    with pytest.raises(IntegrityError):
        Student.delete().where(Student.id == student.id).execute()
    assert Student.get_or_none(Student.id == student.id) is not None
    assert stones() == {} and ChangeCounter.current() == top


def test_class_level_insert_takes_a_number(app):
    top = ChangeCounter.current()
    Subject.insert(name="Химия").execute()
    Subject.insert({Subject.name: "Физика", Subject.change_no: 0}).execute()
    assert numbers() == {"Химия": top + 1, "Физика": top + 2}


def test_insert_many_numbers_every_row_from_one_block(app):
    top = ChangeCounter.current()
    Subject.insert_many([{"name": "Алгебра"}, {Subject.name: "Биология", "change_no": 0}]).execute()
    Subject.insert_many([("Химия", "Хим."), ("Физика", None)], fields=[Subject.name, Subject.short_name]).execute()
    Subject.insert_many([("История", 0)], fields=["name", "change_no"]).execute()
    Subject.insert_many(row for row in [{"name": "Музыка"}]).execute()
    Subject.insert_many([]).execute()
    assert numbers() == {
        "Алгебра": top + 1,
        "Биология": top + 2,
        "Химия": top + 3,
        "Физика": top + 4,
        "История": top + 5,
        "Музыка": top + 6,
    }


def test_bulk_create_numbers_rows_and_instances(app):
    top = ChangeCounter.current()
    subjects = [Subject(name="Алгебра"), Subject(name="Биология")]
    Subject.bulk_create(subjects)
    assert numbers() == {"Алгебра": top + 1, "Биология": top + 2}
    assert [s.change_no for s in subjects] == [top + 1, top + 2]


def test_upsert_renumbers_the_row_it_updates(three):
    top = ChangeCounter.current()
    (
        Subject.insert(name="Химия", short_name="Хим.")
        .on_conflict(conflict_target=[Subject.name], preserve=[Subject.short_name])
        .execute()
    )
    chemistry = Subject.get(Subject.name == "Химия")
    assert chemistry.short_name == "Хим." and chemistry.change_no == top + 1
    Subject.insert(name="Химия").on_conflict(conflict_target=[Subject.name], update={Subject.short_name: "Х"}).execute()
    assert Subject.get(Subject.name == "Химия").change_no == ChangeCounter.current() > top + 1
    before = numbers()
    Subject.insert(name="Химия").on_conflict_ignore().execute()
    assert numbers() == before


REFUSED = {
    "replace": lambda: Subject.replace(name="Химия").execute(),
    "replace_many": lambda: Subject.replace_many([{"name": "Химия"}]).execute(),
    "on_conflict_replace": lambda: Subject.insert(name="Химия").on_conflict_replace().execute(),
    "on_conflict REPLACE": lambda: Subject.insert(name="Химия").on_conflict("REPLACE").execute(),
    "insert_from": lambda: Subject.insert_from(Subject.select(Subject.name.concat("-2")), [Subject.name]).execute(),
    "insert_many(select)": lambda: Subject.insert_many(
        Subject.select(Subject.name.concat("-2")), fields=[Subject.name]
    ).execute(),
    "raw update": lambda: Subject.raw("UPDATE subject SET change_no = 0").execute(),
    "raw with delete": lambda: Subject.raw("WITH x AS (DELETE FROM subject RETURNING id) SELECT * FROM x").execute(),
    "truncate_table": lambda: Subject.truncate_table(),
    "delete with limit": lambda: Subject.delete().limit(1).execute(),
    "delete with order_by": lambda: Subject.delete().order_by(Subject.id).execute(),
    "delete returning": lambda: Subject.delete().returning(Subject.id).execute(),
}


@pytest.mark.parametrize("path", sorted(REFUSED))
def test_writes_that_cannot_be_numbered_are_refused_loudly(three, path):
    before, top = numbers(), ChangeCounter.current()
    with pytest.raises(UnnumberedWrite):
        REFUSED[path]()
    assert numbers() == before and stones() == {} and ChangeCounter.current() == top


def test_raw_select_still_reads(three):
    assert sorted(s.name for s in Subject.raw("SELECT * FROM subject")) == ["Алгебра", "Биология", "Химия"]


# --- compare-and-set writes and one_transaction (decision 34) ------------------------------


def test_save_if_unchanged_writes_only_the_version_it_read(app):
    from tests.journal.conftest import QueryCounter

    subject = Subject.create(name="Химия")
    mine, theirs = Subject.get_by_id(subject.id), Subject.get_by_id(subject.id)
    theirs.short_name = "Хим."
    theirs.save()
    mine.name = "Химия (углублённая)"
    before = ChangeCounter.current()
    assert mine.save_if_unchanged(subject.change_no) is False
    assert Subject.get_by_id(subject.id).name == "Химия"
    fresh = Subject.get_by_id(subject.id)
    fresh.name = "Химия (углублённая)"
    with QueryCounter() as counter:
        assert fresh.save_if_unchanged(theirs.change_no) is True
    assert counter.count == 2  # the change number and the UPDATE
    stored = Subject.get_by_id(subject.id)
    assert (stored.name, stored.short_name, stored.change_no) == ("Химия (углублённая)", "Хим.", fresh.change_no)
    assert stored.change_no > before


def test_delete_if_unchanged_leaves_a_tombstone_only_when_it_deletes(app):
    subject = Subject.create(name="Химия")
    stale = Subject.get_by_id(subject.id)
    subject.short_name = "Хим."
    subject.save()
    assert stale.delete_if_unchanged(stale.change_no) is False
    assert Subject.get_or_none(Subject.id == subject.id) is not None
    assert not Tombstone.select().where(Tombstone.record_id == subject.id, Tombstone.record_type == "subject").exists()
    assert subject.delete_if_unchanged(subject.change_no) is True
    stone = Tombstone.get(Tombstone.record_type == "subject", Tombstone.record_id == subject.id)
    assert stone.change_no == ChangeCounter.current()


def test_one_transaction_takes_no_savepoints_and_rolls_back_whole(app):
    from app.models.changes import one_transaction
    from tests.journal.conftest import QueryCounter

    before = ChangeCounter.current()
    with QueryCounter() as counter:
        with one_transaction():
            Subject.create(name="Химия")
            Subject.create(name="Физика")
    assert not [sql for sql in counter.statements if "SAVEPOINT" in sql.upper()]
    assert ChangeCounter.current() == before + 2
    with pytest.raises(IntegrityError):
        with one_transaction():
            Subject.create(name="Биология")
            Subject.create(name="Химия")  # the name is unique
    assert not Subject.select().where(Subject.name == "Биология").exists()
    assert ChangeCounter.current() == before + 2
    with QueryCounter() as counter:
        with db.atomic():
            Subject.create(name="Биология")
    assert [sql for sql in counter.statements if "SAVEPOINT" in sql.upper()]  # elsewhere writes keep theirs
