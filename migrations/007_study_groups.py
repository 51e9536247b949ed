"""Study groups and journals: a journal is a subject taught to a group, not to a class.

- New tables `study_group`, `group_membership`, `journal`.
- Every class gets its whole-class group (kind "class"); every class × subject that has a
  teaching assignment, a timetable slot or a lesson becomes a whole-class journal (kind "lesson").
- `teaching_assignment`, `timetable_slot` and `lesson` point at the journal instead of a class
  and a subject (`teaching_assignment.year_id` goes: the journal has the year). Ids stay, so
  every mark, absence and file keeps its lesson, and the audit its history.
- The new rows, and the lessons and assignments whose package fields changed, take fresh change
  numbers, so the next daily package sends them in the new shape.

SQLite cannot drop a column a foreign key names: the three tables are rebuilt under their own
names inside the migration's transaction, with the foreign keys deferred (see `_rebuild_sqlite`).

The rollback puts the class and subject back from each journal. It refuses while a journal of a
group other than a whole class has teachers, a timetable or lessons: the old schema cannot hold
two groups' lessons of one class, and dropping them would lose marks.
"""

import peewee as pw
from peewee_migrate import Migrator

LESSON_COLUMNS = (
    "id, change_no, {journal_or_class}, term_id, date, number, planned_teacher_id, teacher_id, "
    "replacement_subject_id, topic, homework, held, orphaned, version, updated_at, updated_by_id"
)

SQLITE_NEW = {
    "teaching_assignment": (
        'CREATE TABLE "teaching_assignment" ("id" INTEGER NOT NULL PRIMARY KEY, "change_no" INTEGER NOT NULL, '
        '"journal_id" INTEGER NOT NULL, "teacher_id" INTEGER NOT NULL, '
        'FOREIGN KEY ("journal_id") REFERENCES "journal" ("id"), FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"))',
        (
            'CREATE INDEX "teaching_assignment_change_no" ON "teaching_assignment" ("change_no")',
            'CREATE INDEX "teaching_assignment_journal_id" ON "teaching_assignment" ("journal_id")',
            'CREATE INDEX "teaching_assignment_teacher_id" ON "teaching_assignment" ("teacher_id")',
            'CREATE UNIQUE INDEX "teaching_assignment_journal_id_teacher_id" '
            'ON "teaching_assignment" ("journal_id", "teacher_id")',
        ),
    ),
    "timetable_slot": (
        'CREATE TABLE "timetable_slot" ("id" INTEGER NOT NULL PRIMARY KEY, "journal_id" INTEGER NOT NULL, '
        '"weekday" INTEGER NOT NULL, "lesson_number" INTEGER NOT NULL, "teacher_id" INTEGER NOT NULL, '
        '"valid_from" DATE NOT NULL, "valid_to" DATE NOT NULL, '
        'FOREIGN KEY ("journal_id") REFERENCES "journal" ("id"), FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"))',
        (
            'CREATE INDEX "timetable_slot_journal_id" ON "timetable_slot" ("journal_id")',
            'CREATE INDEX "timetable_slot_teacher_id" ON "timetable_slot" ("teacher_id")',
            'CREATE INDEX "timetable_slot_weekday_lesson_number" ON "timetable_slot" ("weekday", "lesson_number")',
        ),
    ),
    "lesson": (
        'CREATE TABLE "lesson" ("id" INTEGER NOT NULL PRIMARY KEY, "change_no" INTEGER NOT NULL, '
        '"journal_id" INTEGER NOT NULL, "term_id" INTEGER, "date" DATE NOT NULL, "number" INTEGER NOT NULL, '
        '"planned_teacher_id" INTEGER NOT NULL, "teacher_id" INTEGER NOT NULL, "replacement_subject_id" INTEGER, '
        '"topic" TEXT, "homework" TEXT, "held" INTEGER NOT NULL, "orphaned" INTEGER NOT NULL, '
        '"version" INTEGER NOT NULL, "updated_at" DATETIME NOT NULL, "updated_by_id" INTEGER, '
        'FOREIGN KEY ("journal_id") REFERENCES "journal" ("id"), FOREIGN KEY ("term_id") REFERENCES "term" ("id"), '
        'FOREIGN KEY ("planned_teacher_id") REFERENCES "staff" ("id"), '
        'FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"), '
        'FOREIGN KEY ("replacement_subject_id") REFERENCES "subject" ("id"), '
        'FOREIGN KEY ("updated_by_id") REFERENCES "staff" ("id"))',
        (
            'CREATE INDEX "lesson_change_no" ON "lesson" ("change_no")',
            'CREATE INDEX "lesson_journal_id" ON "lesson" ("journal_id")',
            'CREATE INDEX "lesson_term_id" ON "lesson" ("term_id")',
            'CREATE INDEX "lesson_planned_teacher_id" ON "lesson" ("planned_teacher_id")',
            'CREATE INDEX "lesson_teacher_id" ON "lesson" ("teacher_id")',
            'CREATE INDEX "lesson_replacement_subject_id" ON "lesson" ("replacement_subject_id")',
            'CREATE INDEX "lesson_updated_by_id" ON "lesson" ("updated_by_id")',
            'CREATE UNIQUE INDEX "lesson_journal_id_date_number" ON "lesson" ("journal_id", "date", "number")',
            'CREATE INDEX "lesson_teacher_id_date" ON "lesson" ("teacher_id", "date")',
            'CREATE INDEX "lesson_date_number" ON "lesson" ("date", "number")',
        ),
    ),
}

SQLITE_OLD = {
    "teaching_assignment": (
        'CREATE TABLE "teaching_assignment" ("id" INTEGER NOT NULL PRIMARY KEY, "change_no" INTEGER NOT NULL, '
        '"year_id" INTEGER NOT NULL, "teacher_id" INTEGER NOT NULL, "class_group_id" INTEGER NOT NULL, '
        '"subject_id" INTEGER NOT NULL, FOREIGN KEY ("year_id") REFERENCES "school_year" ("id"), '
        'FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"), '
        'FOREIGN KEY ("class_group_id") REFERENCES "class_group" ("id"), '
        'FOREIGN KEY ("subject_id") REFERENCES "subject" ("id"))',
        (
            'CREATE INDEX "teaching_assignment_change_no" ON "teaching_assignment" ("change_no")',
            'CREATE INDEX "teaching_assignment_year_id" ON "teaching_assignment" ("year_id")',
            'CREATE INDEX "teaching_assignment_teacher_id" ON "teaching_assignment" ("teacher_id")',
            'CREATE INDEX "teaching_assignment_class_group_id" ON "teaching_assignment" ("class_group_id")',
            'CREATE INDEX "teaching_assignment_subject_id" ON "teaching_assignment" ("subject_id")',
            'CREATE UNIQUE INDEX "teaching_assignment_class_group_id_subject_id_teacher_id" '
            'ON "teaching_assignment" ("class_group_id", "subject_id", "teacher_id")',
        ),
    ),
    "timetable_slot": (
        'CREATE TABLE "timetable_slot" ("id" INTEGER NOT NULL PRIMARY KEY, "class_group_id" INTEGER NOT NULL, '
        '"weekday" INTEGER NOT NULL, "lesson_number" INTEGER NOT NULL, "subject_id" INTEGER NOT NULL, '
        '"teacher_id" INTEGER NOT NULL, "valid_from" DATE NOT NULL, "valid_to" DATE NOT NULL, '
        'FOREIGN KEY ("class_group_id") REFERENCES "class_group" ("id"), '
        'FOREIGN KEY ("subject_id") REFERENCES "subject" ("id"), FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"))',
        (
            'CREATE INDEX "timetable_slot_class_group_id" ON "timetable_slot" ("class_group_id")',
            'CREATE INDEX "timetable_slot_subject_id" ON "timetable_slot" ("subject_id")',
            'CREATE INDEX "timetable_slot_teacher_id" ON "timetable_slot" ("teacher_id")',
            'CREATE INDEX "timetable_slot_class_group_id_weekday_lesson_number" '
            'ON "timetable_slot" ("class_group_id", "weekday", "lesson_number")',
        ),
    ),
    "lesson": (
        'CREATE TABLE "lesson" ("id" INTEGER NOT NULL PRIMARY KEY, "change_no" INTEGER NOT NULL, '
        '"class_group_id" INTEGER NOT NULL, "subject_id" INTEGER NOT NULL, "term_id" INTEGER, '
        '"date" DATE NOT NULL, "number" INTEGER NOT NULL, "planned_teacher_id" INTEGER NOT NULL, '
        '"teacher_id" INTEGER NOT NULL, "replacement_subject_id" INTEGER, "topic" TEXT, "homework" TEXT, '
        '"held" INTEGER NOT NULL, "orphaned" INTEGER NOT NULL, "version" INTEGER NOT NULL, '
        '"updated_at" DATETIME NOT NULL, "updated_by_id" INTEGER, '
        'FOREIGN KEY ("class_group_id") REFERENCES "class_group" ("id"), '
        'FOREIGN KEY ("subject_id") REFERENCES "subject" ("id"), FOREIGN KEY ("term_id") REFERENCES "term" ("id"), '
        'FOREIGN KEY ("planned_teacher_id") REFERENCES "staff" ("id"), '
        'FOREIGN KEY ("teacher_id") REFERENCES "staff" ("id"), '
        'FOREIGN KEY ("replacement_subject_id") REFERENCES "subject" ("id"), '
        'FOREIGN KEY ("updated_by_id") REFERENCES "staff" ("id"))',
        (
            'CREATE INDEX "lesson_change_no" ON "lesson" ("change_no")',
            'CREATE INDEX "lesson_class_group_id" ON "lesson" ("class_group_id")',
            'CREATE INDEX "lesson_subject_id" ON "lesson" ("subject_id")',
            'CREATE INDEX "lesson_term_id" ON "lesson" ("term_id")',
            'CREATE INDEX "lesson_planned_teacher_id" ON "lesson" ("planned_teacher_id")',
            'CREATE INDEX "lesson_teacher_id" ON "lesson" ("teacher_id")',
            'CREATE INDEX "lesson_replacement_subject_id" ON "lesson" ("replacement_subject_id")',
            'CREATE INDEX "lesson_updated_by_id" ON "lesson" ("updated_by_id")',
            'CREATE UNIQUE INDEX "lesson_class_group_id_date_number_subject_id" '
            'ON "lesson" ("class_group_id", "date", "number", "subject_id")',
            'CREATE INDEX "lesson_teacher_id_date" ON "lesson" ("teacher_id", "date")',
            'CREATE INDEX "lesson_class_group_id_subject_id_date" ON "lesson" ("class_group_id", "subject_id", "date")',
        ),
    ),
}

# How each rebuilt table's rows are copied: (new columns, select over the old table "o").
UPGRADE_COPY = {
    "teaching_assignment": (
        "id, change_no, journal_id, teacher_id",
        "SELECT o.id, o.change_no, j.id, o.teacher_id FROM {old} o "
        "JOIN study_group g ON g.class_group_id = o.class_group_id AND g.kind = 'class' "
        "JOIN journal j ON j.group_id = g.id AND j.subject_id = o.subject_id",
    ),
    "timetable_slot": (
        "id, journal_id, weekday, lesson_number, teacher_id, valid_from, valid_to",
        "SELECT o.id, j.id, o.weekday, o.lesson_number, o.teacher_id, o.valid_from, o.valid_to FROM {old} o "
        "JOIN study_group g ON g.class_group_id = o.class_group_id AND g.kind = 'class' "
        "JOIN journal j ON j.group_id = g.id AND j.subject_id = o.subject_id",
    ),
    "lesson": (
        LESSON_COLUMNS.format(journal_or_class="journal_id"),
        "SELECT o.id, o.change_no, j.id, o.term_id, o.date, o.number, o.planned_teacher_id, o.teacher_id, "
        "o.replacement_subject_id, o.topic, o.homework, o.held, o.orphaned, o.version, o.updated_at, "
        "o.updated_by_id FROM {old} o "
        "JOIN study_group g ON g.class_group_id = o.class_group_id AND g.kind = 'class' "
        "JOIN journal j ON j.group_id = g.id AND j.subject_id = o.subject_id",
    ),
}

ROLLBACK_COPY = {
    "teaching_assignment": (
        "id, change_no, year_id, teacher_id, class_group_id, subject_id",
        "SELECT o.id, o.change_no, j.year_id, o.teacher_id, g.class_group_id, j.subject_id FROM {old} o "
        "JOIN journal j ON j.id = o.journal_id JOIN study_group g ON g.id = j.group_id",
    ),
    "timetable_slot": (
        "id, class_group_id, weekday, lesson_number, subject_id, teacher_id, valid_from, valid_to",
        "SELECT o.id, g.class_group_id, o.weekday, o.lesson_number, j.subject_id, o.teacher_id, o.valid_from, "
        "o.valid_to FROM {old} o JOIN journal j ON j.id = o.journal_id JOIN study_group g ON g.id = j.group_id",
    ),
    "lesson": (
        LESSON_COLUMNS.format(journal_or_class="class_group_id, subject_id"),
        "SELECT o.id, o.change_no, g.class_group_id, j.subject_id, o.term_id, o.date, o.number, "
        "o.planned_teacher_id, o.teacher_id, o.replacement_subject_id, o.topic, o.homework, o.held, o.orphaned, "
        "o.version, o.updated_at, o.updated_by_id FROM {old} o "
        "JOIN journal j ON j.id = o.journal_id JOIN study_group g ON g.id = j.group_id",
    ),
}


def _reserve(database, count: int) -> int:
    """Take `count` change numbers from the counter; return the first."""
    p = database.param
    last = database.execute_sql(
        f"UPDATE change_counter SET value = value + {p} WHERE id = 1 RETURNING value", (count,)
    ).fetchone()[0]
    return last - count + 1


def _renumber(database, table: str) -> None:
    """Give every row of an exported table a fresh change number, in id order."""
    count = database.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    if not count:
        return
    first = _reserve(database, count)
    database.execute_sql(
        f"UPDATE {table} SET change_no = {first - 1} + ranked.n FROM "
        f"(SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM {table}) AS ranked WHERE ranked.id = {table}.id"
    )


def _make_groups_and_journals(database) -> None:
    p = database.param
    classes = database.execute_sql("SELECT id, year_id, grade, letter FROM class_group ORDER BY id").fetchall()
    first = _reserve(database, len(classes)) if classes else 0
    for offset, (class_id, year_id, grade, letter) in enumerate(classes):
        database.execute_sql(
            "INSERT INTO study_group (change_no, year_id, kind, class_group_id, split, name, grade) "
            f"VALUES ({p}, {p}, 'class', {p}, NULL, {p}, {p})",
            (first + offset, year_id, class_id, f"{grade}{letter}", grade),
        )
    pairs = database.execute_sql(
        "SELECT class_group_id, subject_id FROM teaching_assignment UNION "
        "SELECT class_group_id, subject_id FROM timetable_slot UNION "
        "SELECT class_group_id, subject_id FROM lesson ORDER BY 1, 2"
    ).fetchall()
    first = _reserve(database, len(pairs)) if pairs else 0
    for offset, (class_id, subject_id) in enumerate(pairs):
        database.execute_sql(
            "INSERT INTO journal (change_no, year_id, group_id, subject_id, kind) "
            f"SELECT {p}, g.year_id, g.id, {p}, 'lesson' FROM study_group g "
            f"WHERE g.class_group_id = {p} AND g.kind = 'class'",
            (first + offset, subject_id, class_id),
        )


def _rebuild_sqlite(database, table: str, schema: dict, copy: dict) -> None:
    # The rows are set aside, the table dropped and made again under its name, and the rows put
    # back. With the foreign keys deferred, dropping it leaves the marks' references pending and
    # putting each lesson back settles them; a reference still missing fails the commit.
    saved = f"_saved_{table}"
    create, indexes = schema[table]
    columns, select = copy[table]
    database.execute_sql(f'CREATE TABLE "{saved}" AS {select.format(old=table)}')
    database.execute_sql("PRAGMA defer_foreign_keys = ON")
    database.execute_sql(f'DROP TABLE "{table}"')
    database.execute_sql(create)
    database.execute_sql(f'INSERT INTO "{table}" ({columns}) SELECT * FROM "{saved}"')
    database.execute_sql(f'DROP TABLE "{saved}"')
    for index in indexes:
        database.execute_sql(index)


def _to_journals_postgres(database) -> None:
    for table in ("teaching_assignment", "timetable_slot", "lesson"):
        database.execute_sql(f"ALTER TABLE {table} ADD COLUMN journal_id INTEGER REFERENCES journal (id)")
        database.execute_sql(
            f"UPDATE {table} SET journal_id = j.id FROM journal j JOIN study_group g ON g.id = j.group_id "
            f"WHERE g.kind = 'class' AND g.class_group_id = {table}.class_group_id "
            f"AND j.subject_id = {table}.subject_id"
        )
        database.execute_sql(f"ALTER TABLE {table} ALTER COLUMN journal_id SET NOT NULL")
        # Dropping the columns drops their foreign keys and every index that names them.
        database.execute_sql(f"ALTER TABLE {table} DROP COLUMN class_group_id, DROP COLUMN subject_id")
        database.execute_sql(f"CREATE INDEX {table}_journal_id ON {table} (journal_id)")
    database.execute_sql("ALTER TABLE teaching_assignment DROP COLUMN year_id")
    database.execute_sql(
        "CREATE UNIQUE INDEX teaching_assignment_journal_id_teacher_id ON teaching_assignment (journal_id, teacher_id)"
    )
    database.execute_sql("CREATE INDEX timetable_slot_weekday_lesson_number ON timetable_slot (weekday, lesson_number)")
    database.execute_sql("CREATE UNIQUE INDEX lesson_journal_id_date_number ON lesson (journal_id, date, number)")
    database.execute_sql("CREATE INDEX lesson_date_number ON lesson (date, number)")


def _from_journals_postgres(database) -> None:
    # Dropping journal_id drops the indexes that name it; these two name only kept columns.
    database.execute_sql("DROP INDEX timetable_slot_weekday_lesson_number")
    database.execute_sql("DROP INDEX lesson_date_number")
    for table in ("teaching_assignment", "timetable_slot", "lesson"):
        database.execute_sql(
            f"ALTER TABLE {table} ADD COLUMN class_group_id INTEGER REFERENCES class_group (id), "
            "ADD COLUMN subject_id INTEGER REFERENCES subject (id)"
        )
        database.execute_sql(
            f"UPDATE {table} SET class_group_id = g.class_group_id, subject_id = j.subject_id "
            f"FROM journal j JOIN study_group g ON g.id = j.group_id WHERE j.id = {table}.journal_id"
        )
        database.execute_sql(
            f"ALTER TABLE {table} ALTER COLUMN class_group_id SET NOT NULL, ALTER COLUMN subject_id SET NOT NULL"
        )
        database.execute_sql(f"ALTER TABLE {table} DROP COLUMN journal_id")
        database.execute_sql(f"CREATE INDEX {table}_class_group_id ON {table} (class_group_id)")
        database.execute_sql(f"CREATE INDEX {table}_subject_id ON {table} (subject_id)")
    database.execute_sql("ALTER TABLE teaching_assignment ADD COLUMN year_id INTEGER REFERENCES school_year (id)")
    database.execute_sql(
        "UPDATE teaching_assignment SET year_id = c.year_id FROM class_group c "
        "WHERE c.id = teaching_assignment.class_group_id"
    )
    database.execute_sql("ALTER TABLE teaching_assignment ALTER COLUMN year_id SET NOT NULL")
    database.execute_sql("CREATE INDEX teaching_assignment_year_id ON teaching_assignment (year_id)")
    database.execute_sql(
        "CREATE UNIQUE INDEX teaching_assignment_class_group_id_subject_id_teacher_id "
        "ON teaching_assignment (class_group_id, subject_id, teacher_id)"
    )
    database.execute_sql(
        "CREATE INDEX timetable_slot_class_group_id_weekday_lesson_number "
        "ON timetable_slot (class_group_id, weekday, lesson_number)"
    )
    database.execute_sql(
        "CREATE UNIQUE INDEX lesson_class_group_id_date_number_subject_id "
        "ON lesson (class_group_id, date, number, subject_id)"
    )
    database.execute_sql(
        "CREATE INDEX lesson_class_group_id_subject_id_date ON lesson (class_group_id, subject_id, date)"
    )


def _upgrade(database) -> None:
    _make_groups_and_journals(database)
    if isinstance(database, pw.SqliteDatabase):
        for table in ("teaching_assignment", "timetable_slot", "lesson"):
            _rebuild_sqlite(database, table, SQLITE_NEW, UPGRADE_COPY)
    else:
        _to_journals_postgres(database)
    # Their package records changed shape (a journal instead of a class and a subject).
    _renumber(database, "lesson")
    _renumber(database, "teaching_assignment")


def _refuse_group_journals(database) -> None:
    used = database.execute_sql(
        "SELECT g.name, s.name FROM journal j JOIN study_group g ON g.id = j.group_id "
        "JOIN subject s ON s.id = j.subject_id WHERE g.kind <> 'class' AND ("
        "EXISTS (SELECT 1 FROM lesson l WHERE l.journal_id = j.id) OR "
        "EXISTS (SELECT 1 FROM timetable_slot t WHERE t.journal_id = j.id) OR "
        "EXISTS (SELECT 1 FROM teaching_assignment a WHERE a.journal_id = j.id)) ORDER BY g.name, s.name"
    ).fetchall()
    if used:
        listed = "; ".join(f"{group} · {subject}" for group, subject in used[:5])
        more = f" и ещё {len(used) - 5}" if len(used) > 5 else ""
        raise RuntimeError(
            "Откат миграции 007 невозможен: журналы групп (не всего класса) уже ведутся — "
            f"{listed}{more}. Старая схема не может хранить уроки групп; перенесите их в журналы классов или удалите."
        )


def _downgrade(database) -> None:
    _refuse_group_journals(database)
    if isinstance(database, pw.SqliteDatabase):
        for table in ("teaching_assignment", "timetable_slot", "lesson"):
            _rebuild_sqlite(database, table, SQLITE_OLD, ROLLBACK_COPY)
    else:
        _from_journals_postgres(database)
    _renumber(database, "lesson")
    _renumber(database, "teaching_assignment")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create groups and journals, and move the load, the timetable and the lessons onto journals."""

    @migrator.create_model
    class StudyGroup(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        year = pw.ForeignKeyField(column_name="year_id", field="id", model=migrator.orm["school_year"])
        kind = pw.CharField(max_length=12, default="subgroup")
        class_group = pw.ForeignKeyField(
            column_name="class_group_id", field="id", model=migrator.orm["class_group"], null=True
        )
        split = pw.CharField(max_length=60, null=True)
        name = pw.CharField(max_length=120)
        grade = pw.IntegerField(null=True)

        class Meta:
            table_name = "study_group"
            indexes = [(("year", "name"), True), (("class_group", "split"), False)]

    @migrator.create_model
    class GroupMembership(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        group = pw.ForeignKeyField(column_name="group_id", field="id", model=StudyGroup)
        student = pw.ForeignKeyField(column_name="student_id", field="id", model=migrator.orm["student"])
        start_date = pw.DateField()
        end_date = pw.DateField(null=True)

        class Meta:
            table_name = "group_membership"
            indexes = [(("group", "start_date"), False), (("student", "group"), False)]

    @migrator.create_model
    class Journal(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        year = pw.ForeignKeyField(column_name="year_id", field="id", model=migrator.orm["school_year"])
        group = pw.ForeignKeyField(column_name="group_id", field="id", model=StudyGroup)
        subject = pw.ForeignKeyField(column_name="subject_id", field="id", model=migrator.orm["subject"])
        kind = pw.CharField(max_length=16, default="lesson")

        class Meta:
            table_name = "journal"
            indexes = [(("group", "subject"), True)]

    migrator.run(_upgrade, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Put classes and subjects back on the load, the timetable and the lessons; drop groups and journals."""
    migrator.run(_downgrade, database)
    migrator.remove_model("journal")
    migrator.remove_model("group_membership")
    migrator.remove_model("study_group")
