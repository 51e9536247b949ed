"""Exported rows take a change number on every save and leave a tombstone when deleted."""

import pytest

from app.db import db
from app.models import ChangeCounter, Subject, Tombstone


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
