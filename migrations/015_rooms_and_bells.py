"""Rooms and the bell schedule: where a timetable slot is taught and when each lesson begins and ends.

- New table `room`: the school's rooms (a number or a name), unique by name, with a note.
- `timetable_slot.room_id`: the room of a slot, empty for every existing one (the timetable is
  not exported, so no change numbers are taken).
- New table `bell_time`: a lesson number's start and end, for the normal and the shortened day.
- New table `short_day`: the dates whose lessons follow the shortened schedule.

SQLite cannot drop a column a foreign key names: the rollback rebuilds `timetable_slot` as
migration 007 made it (nothing points at a slot, so the copy keeps every row and id), then drops
the three tables.
"""

import peewee as pw
from peewee_migrate import Migrator

SLOT_COLUMNS = "id, journal_id, weekday, lesson_number, teacher_id, valid_from, valid_to"
SLOT_TABLE_007 = (
    'CREATE TABLE "timetable_slot" ("id" INTEGER NOT NULL PRIMARY KEY, "journal_id" INTEGER NOT NULL, '
    '"weekday" INTEGER NOT NULL, "lesson_number" INTEGER NOT NULL, "teacher_id" INTEGER NOT NULL, '
    '"valid_from" DATE NOT NULL, "valid_to" DATE NOT NULL, '
    'FOREIGN KEY ("journal_id") REFERENCES "journal" ("id"), FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"))'
)
SLOT_INDEXES_007 = (
    'CREATE INDEX "timetable_slot_journal_id" ON "timetable_slot" ("journal_id")',
    'CREATE INDEX "timetable_slot_teacher_id" ON "timetable_slot" ("teacher_id")',
    'CREATE INDEX "timetable_slot_weekday_lesson_number" ON "timetable_slot" ("weekday", "lesson_number")',
)


def _add_room(database) -> None:
    database.execute_sql('ALTER TABLE "timetable_slot" ADD COLUMN "room_id" INTEGER REFERENCES "room" ("id")')
    database.execute_sql('CREATE INDEX "timetable_slot_room_id" ON "timetable_slot" ("room_id")')


def _drop_room(database) -> None:
    if not isinstance(database, pw.SqliteDatabase):
        database.execute_sql('ALTER TABLE "timetable_slot" DROP COLUMN "room_id"')
        return
    database.execute_sql(f'CREATE TABLE "_saved_timetable_slot" AS SELECT {SLOT_COLUMNS} FROM "timetable_slot"')
    database.execute_sql("PRAGMA defer_foreign_keys = ON")
    database.execute_sql('DROP TABLE "timetable_slot"')
    database.execute_sql(SLOT_TABLE_007)
    database.execute_sql(f'INSERT INTO "timetable_slot" ({SLOT_COLUMNS}) SELECT * FROM "_saved_timetable_slot"')
    database.execute_sql('DROP TABLE "_saved_timetable_slot"')
    for index in SLOT_INDEXES_007:
        database.execute_sql(index)


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Add the rooms, a slot's room, the bell schedule and the shortened days."""

    @migrator.create_model
    class Room(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(max_length=60, unique=True)
        note = pw.CharField(max_length=200, null=True)

        class Meta:
            table_name = "room"

    @migrator.create_model
    class BellTime(pw.Model):
        id = pw.AutoField()
        schedule = pw.CharField(max_length=10)
        lesson_number = pw.IntegerField()
        starts_at = pw.TimeField()
        ends_at = pw.TimeField()

        class Meta:
            table_name = "bell_time"
            indexes = ((("schedule", "lesson_number"), True),)

    @migrator.create_model
    class ShortDay(pw.Model):
        id = pw.AutoField()
        date = pw.DateField(unique=True)
        note = pw.CharField(max_length=200, null=True)

        class Meta:
            table_name = "short_day"

    migrator.run(_add_room, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop a slot's room, the shortened days, the bell schedule and the rooms."""
    migrator.run(_drop_room, database)
    migrator.remove_model("short_day")
    migrator.remove_model("bell_time")
    migrator.remove_model("room")
