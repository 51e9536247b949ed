"""Initial schema: every table of the foundation, and the change counter's one row."""


import peewee as pw
from peewee_migrate import Migrator




def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the foundation's tables."""

    @migrator.create_model
    class SchoolYear(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        name = pw.CharField(max_length=20, unique=True)
        start_date = pw.DateField()
        end_date = pw.DateField()
        is_current = pw.BooleanField(default=False)

        class Meta:
            table_name = "school_year"

    @migrator.create_model
    class Staff(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        login = pw.CharField(max_length=64, unique=True)
        password_hash = pw.CharField(default='', max_length=256)
        last_name = pw.CharField(max_length=100)
        first_name = pw.CharField(max_length=100)
        middle_name = pw.CharField(max_length=100, null=True)
        email = pw.CharField(max_length=200, null=True)
        active = pw.BooleanField(default=True)
        portal_uid = pw.CharField(max_length=64, null=True, unique=True)
        session_token = pw.CharField(max_length=64)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "staff"

    @migrator.create_model
    class ClassGroup(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        year = pw.ForeignKeyField(column_name='year_id', field='id', model=migrator.orm['school_year'])
        grade = pw.IntegerField()
        letter = pw.CharField(max_length=4)
        class_teacher = pw.ForeignKeyField(column_name='class_teacher_id', field='id', model=migrator.orm['staff'], null=True)

        class Meta:
            table_name = "class_group"
            indexes = [(('year', 'grade', 'letter'), True)]

    @migrator.create_model
    class Subject(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        name = pw.CharField(max_length=200, unique=True)
        short_name = pw.CharField(max_length=40, null=True)

        class Meta:
            table_name = "subject"

    @migrator.create_model
    class Term(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        year = pw.ForeignKeyField(column_name='year_id', field='id', model=migrator.orm['school_year'])
        kind = pw.CharField(default='quarter', max_length=10)
        number = pw.IntegerField()
        start_date = pw.DateField()
        end_date = pw.DateField()
        closed = pw.BooleanField(default=False)

        class Meta:
            table_name = "term"
            indexes = [(('year', 'kind', 'number'), True)]

    @migrator.create_model
    class Lesson(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        class_group = pw.ForeignKeyField(column_name='class_group_id', field='id', model=migrator.orm['class_group'])
        subject = pw.ForeignKeyField(column_name='subject_id', field='id', model=migrator.orm['subject'])
        term = pw.ForeignKeyField(column_name='term_id', field='id', model=migrator.orm['term'], null=True)
        date = pw.DateField()
        number = pw.IntegerField()
        planned_teacher = pw.ForeignKeyField(column_name='planned_teacher_id', field='id', model=migrator.orm['staff'])
        teacher = pw.ForeignKeyField(column_name='teacher_id', field='id', model=migrator.orm['staff'])
        replacement_subject = pw.ForeignKeyField(column_name='replacement_subject_id', field='id', model=migrator.orm['subject'], null=True)
        topic = pw.TextField(null=True)
        homework = pw.TextField(null=True)
        held = pw.BooleanField(default=False)
        orphaned = pw.BooleanField(default=False)
        version = pw.IntegerField(default=1)
        updated_at = pw.DateTimeField()
        updated_by = pw.ForeignKeyField(column_name='updated_by_id', field='id', model=migrator.orm['staff'], null=True)

        class Meta:
            table_name = "lesson"
            indexes = [(('class_group', 'date', 'number', 'subject'), True), (('teacher', 'date'), False), (('class_group', 'subject', 'date'), False)]

    @migrator.create_model
    class Student(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        last_name = pw.CharField(max_length=100)
        first_name = pw.CharField(max_length=100)
        middle_name = pw.CharField(max_length=100, null=True)
        birth_date = pw.DateField(null=True)
        notes = pw.TextField(null=True)

        class Meta:
            table_name = "student"
            indexes = [(('last_name', 'first_name'), False)]

    @migrator.create_model
    class Absence(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        lesson = pw.ForeignKeyField(column_name='lesson_id', field='id', model=migrator.orm['lesson'])
        student = pw.ForeignKeyField(column_name='student_id', field='id', model=migrator.orm['student'])
        reason = pw.CharField(max_length=20)

        class Meta:
            table_name = "absence"
            indexes = [(('lesson', 'student'), True)]

    @migrator.create_model
    class AuditEntry(pw.Model):
        id = pw.AutoField()
        at = pw.DateTimeField(index=True)
        actor = pw.ForeignKeyField(column_name='actor_id', field='id', model=migrator.orm['staff'], null=True, on_delete='SET NULL')
        actor_name = pw.CharField(default='', max_length=300)
        source = pw.CharField(max_length=10)
        action = pw.CharField(max_length=40)
        model = pw.CharField(index=True, max_length=60)
        object_id = pw.CharField(max_length=64, null=True)
        object_repr = pw.CharField(default='', max_length=300)
        before = pw.TextField(null=True)
        after = pw.TextField(null=True)

        class Meta:
            table_name = "audit_entry"
            indexes = [(('model', 'object_id'), False)]

    @migrator.create_model
    class ChangeCounter(pw.Model):
        id = pw.IntegerField(primary_key=True)
        value = pw.BigIntegerField(default=0)

        class Meta:
            table_name = "change_counter"

    migrator.sql("INSERT INTO change_counter (id, value) VALUES (1, 0)")

    @migrator.create_model
    class Guardian(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        last_name = pw.CharField(max_length=100)
        first_name = pw.CharField(max_length=100)
        middle_name = pw.CharField(max_length=100, null=True)
        phone = pw.CharField(max_length=40, null=True)
        email = pw.CharField(max_length=200, null=True)

        class Meta:
            table_name = "guardian"
            indexes = [(('last_name', 'first_name'), False)]

    @migrator.create_model
    class DiaryApplication(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        portal_number = pw.CharField(max_length=64, null=True)
        submitted_on = pw.DateField()
        received_by = pw.ForeignKeyField(column_name='received_by_id', field='id', model=migrator.orm['staff'])
        student = pw.ForeignKeyField(column_name='student_id', field='id', model=migrator.orm['student'])
        guardian = pw.ForeignKeyField(column_name='guardian_id', field='id', model=migrator.orm['guardian'])
        student_last_name = pw.CharField(max_length=100)
        student_first_name = pw.CharField(max_length=100)
        student_middle_name = pw.CharField(max_length=100, null=True)
        guardian_last_name = pw.CharField(max_length=100)
        guardian_first_name = pw.CharField(max_length=100)
        guardian_middle_name = pw.CharField(max_length=100, null=True)
        relation = pw.CharField(max_length=20)
        passport_presented = pw.BooleanField(default=False)
        names_checked = pw.BooleanField(default=False)
        pd_consent = pw.BooleanField(default=False)
        status = pw.CharField(default='accepted', index=True, max_length=12)
        reject_reason = pw.TextField(null=True)
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "diary_application"

    @migrator.create_model
    class Enrollment(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        student = pw.ForeignKeyField(column_name='student_id', field='id', model=migrator.orm['student'])
        class_group = pw.ForeignKeyField(column_name='class_group_id', field='id', model=migrator.orm['class_group'])
        start_date = pw.DateField()
        end_date = pw.DateField(null=True)

        class Meta:
            table_name = "enrollment"
            indexes = [(('class_group', 'start_date'), False)]

    @migrator.create_model
    class Holiday(pw.Model):
        id = pw.AutoField()
        year = pw.ForeignKeyField(column_name='year_id', field='id', model=migrator.orm['school_year'])
        name = pw.CharField(max_length=200)
        start_date = pw.DateField()
        end_date = pw.DateField()

        class Meta:
            table_name = "holiday"

    @migrator.create_model
    class HomeworkFile(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        lesson = pw.ForeignKeyField(column_name='lesson_id', field='id', model=migrator.orm['lesson'])
        original_name = pw.CharField(max_length=255)
        stored_name = pw.CharField(max_length=64, unique=True)
        content_type = pw.CharField(max_length=100)
        size = pw.BigIntegerField()
        sha256 = pw.CharField(max_length=64)
        uploaded_by = pw.ForeignKeyField(column_name='uploaded_by_id', field='id', model=migrator.orm['staff'], null=True)
        uploaded_at = pw.DateTimeField()

        class Meta:
            table_name = "homework_file"

    @migrator.create_model
    class LoginAttempt(pw.Model):
        id = pw.AutoField()
        login = pw.CharField(index=True, max_length=64)
        address = pw.CharField(index=True, max_length=64)
        success = pw.BooleanField()
        at = pw.DateTimeField(index=True)

        class Meta:
            table_name = "login_attempt"

    @migrator.create_model
    class WorkType(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(max_length=100, unique=True)
        default_weight = pw.IntegerField(default=1)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "work_type"

    @migrator.create_model
    class Mark(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        lesson = pw.ForeignKeyField(column_name='lesson_id', field='id', model=migrator.orm['lesson'])
        student = pw.ForeignKeyField(column_name='student_id', field='id', model=migrator.orm['student'])
        value = pw.CharField(max_length=4)
        work_type = pw.ForeignKeyField(column_name='work_type_id', field='id', model=migrator.orm['work_type'])
        weight = pw.IntegerField(default=1)
        change_reason = pw.CharField(max_length=200, null=True)
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['staff'], null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "mark"
            indexes = [(('lesson', 'student'), False), (('student', 'lesson'), False)]

    @migrator.create_model
    class Permission(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=64, unique=True)

        class Meta:
            table_name = "permission"

    @migrator.create_model
    class Role(pw.Model):
        id = pw.AutoField()
        code = pw.CharField(max_length=32, unique=True)
        name = pw.CharField(max_length=100)
        builtin = pw.BooleanField(default=False)

        class Meta:
            table_name = "role"

    @migrator.create_model
    class RolePermission(pw.Model):
        id = pw.AutoField()
        role = pw.ForeignKeyField(column_name='role_id', field='id', model=migrator.orm['role'], on_delete='CASCADE')
        permission = pw.ForeignKeyField(column_name='permission_id', field='id', model=migrator.orm['permission'])

        class Meta:
            table_name = "role_permission"
            indexes = [(('role', 'permission'), True)]

    @migrator.create_model
    class SchoolSettings(pw.Model):
        id = pw.AutoField()
        name = pw.CharField(default='Школа', max_length=300)
        school_code = pw.CharField(default='', max_length=32)
        mark_edit_days = pw.IntegerField(default=7)
        upload_max_mb = pw.IntegerField(default=10)

        class Meta:
            table_name = "school_settings"

    @migrator.create_model
    class StaffRole(pw.Model):
        id = pw.AutoField()
        staff = pw.ForeignKeyField(column_name='staff_id', field='id', model=migrator.orm['staff'], on_delete='CASCADE')
        role = pw.ForeignKeyField(column_name='role_id', field='id', model=migrator.orm['role'])

        class Meta:
            table_name = "staff_role"
            indexes = [(('staff', 'role'), True)]

    @migrator.create_model
    class StudentGuardian(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        student = pw.ForeignKeyField(column_name='student_id', field='id', model=migrator.orm['student'])
        guardian = pw.ForeignKeyField(column_name='guardian_id', field='id', model=migrator.orm['guardian'])
        relation = pw.CharField(default='mother', max_length=20)

        class Meta:
            table_name = "student_guardian"
            indexes = [(('student', 'guardian'), True)]

    @migrator.create_model
    class TeachingAssignment(pw.Model):
        id = pw.AutoField()
        change_no = pw.BigIntegerField(default=0, index=True)
        year = pw.ForeignKeyField(column_name='year_id', field='id', model=migrator.orm['school_year'])
        teacher = pw.ForeignKeyField(column_name='teacher_id', field='id', model=migrator.orm['staff'])
        class_group = pw.ForeignKeyField(column_name='class_group_id', field='id', model=migrator.orm['class_group'])
        subject = pw.ForeignKeyField(column_name='subject_id', field='id', model=migrator.orm['subject'])

        class Meta:
            table_name = "teaching_assignment"
            indexes = [(('class_group', 'subject', 'teacher'), True)]

    @migrator.create_model
    class TimetableSlot(pw.Model):
        id = pw.AutoField()
        class_group = pw.ForeignKeyField(column_name='class_group_id', field='id', model=migrator.orm['class_group'])
        weekday = pw.IntegerField()
        lesson_number = pw.IntegerField()
        subject = pw.ForeignKeyField(column_name='subject_id', field='id', model=migrator.orm['subject'])
        teacher = pw.ForeignKeyField(column_name='teacher_id', field='id', model=migrator.orm['staff'])
        valid_from = pw.DateField()
        valid_to = pw.DateField()

        class Meta:
            table_name = "timetable_slot"
            indexes = [(('class_group', 'weekday', 'lesson_number'), False)]

    @migrator.create_model
    class Tombstone(pw.Model):
        id = pw.AutoField()
        record_type = pw.CharField(max_length=40)
        record_id = pw.IntegerField()
        change_no = pw.BigIntegerField(index=True)
        deleted_at = pw.DateTimeField()

        class Meta:
            table_name = "tombstone"
            indexes = [(('record_type', 'record_id'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the foundation's tables."""

    migrator.remove_model('tombstone')

    migrator.remove_model('timetable_slot')

    migrator.remove_model('teaching_assignment')

    migrator.remove_model('student_guardian')

    migrator.remove_model('staff_role')

    migrator.remove_model('school_settings')

    migrator.remove_model('role_permission')

    migrator.remove_model('role')

    migrator.remove_model('permission')

    migrator.remove_model('mark')

    migrator.remove_model('work_type')

    migrator.remove_model('login_attempt')

    migrator.remove_model('homework_file')

    migrator.remove_model('holiday')

    migrator.remove_model('enrollment')

    migrator.remove_model('diary_application')

    migrator.remove_model('guardian')

    migrator.remove_model('change_counter')

    migrator.remove_model('audit_entry')

    migrator.remove_model('absence')

    migrator.remove_model('student')

    migrator.remove_model('lesson')

    migrator.remove_model('term')

    migrator.remove_model('subject')

    migrator.remove_model('class_group')

    migrator.remove_model('staff')

    migrator.remove_model('school_year')
