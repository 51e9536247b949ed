"""Exports to the portal: the settings row, the exporter's claim and the run history."""

import datetime

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Create the export tables and the claim's one row."""

    @migrator.create_model
    class ExportSettings(pw.Model):
        id = pw.AutoField()
        enabled = pw.BooleanField(default=True)
        daily_time = pw.TimeField(default=datetime.time(20, 0))
        full_day = pw.IntegerField(default=1)
        transport = pw.CharField(default='directory', max_length=10)
        directory = pw.CharField(default='', max_length=500)
        portal_url = pw.CharField(default='', max_length=500)
        token = pw.CharField(default='', max_length=500)
        http_timeout = pw.IntegerField(default=30)
        http_retries = pw.IntegerField(default=3)
        http_retry_delay = pw.FloatField(default=2.0)
        updated_at = pw.DateTimeField(null=True)
        updated_by_name = pw.CharField(default='', max_length=300)

        class Meta:
            table_name = "export_settings"

    @migrator.create_model
    class ExportLock(pw.Model):
        id = pw.IntegerField(primary_key=True)
        owner = pw.CharField(max_length=200, null=True)
        until = pw.DateTimeField(null=True)
        run_id = pw.IntegerField(null=True)

        class Meta:
            table_name = "export_lock"

    migrator.sql("INSERT INTO export_lock (id) VALUES (1)")

    @migrator.create_model
    class ExportRun(pw.Model):
        id = pw.AutoField()
        kind = pw.CharField(max_length=10)
        trigger = pw.CharField(max_length=20)
        slot = pw.CharField(max_length=40, null=True, unique=True)
        status = pw.CharField(default='queued', index=True, max_length=10)
        requested_by = pw.ForeignKeyField(column_name='requested_by_id', field='id', model=migrator.orm['staff'], null=True, on_delete='SET NULL')
        requested_by_name = pw.CharField(default='', max_length=300)
        created_at = pw.DateTimeField(index=True)
        started_at = pw.DateTimeField(null=True)
        finished_at = pw.DateTimeField(null=True)
        school_code = pw.CharField(default='', max_length=32)
        transport = pw.CharField(default='directory', max_length=10)
        target = pw.CharField(default='', max_length=500)
        package_dir = pw.CharField(default='', max_length=1000)
        file_path = pw.CharField(default='', max_length=1000)
        year = pw.ForeignKeyField(column_name='year_id', field='id', model=migrator.orm['school_year'], null=True, on_delete='SET NULL')
        year_name = pw.CharField(default='', max_length=20)
        change_from = pw.BigIntegerField(null=True)
        change_to = pw.BigIntegerField(null=True)
        progress = pw.BigIntegerField(default=0)
        total = pw.BigIntegerField(default=0)
        records = pw.BigIntegerField(null=True)
        counts = pw.TextField(null=True)
        bytes = pw.BigIntegerField(null=True)
        sha256 = pw.CharField(max_length=64, null=True)
        attempts = pw.IntegerField(default=0)
        error = pw.TextField(null=True)
        job_id = pw.CharField(max_length=100, null=True)
        claimed_by = pw.CharField(max_length=200, null=True)

        class Meta:
            table_name = "export_run"
            indexes = [(('status', 'id'), False), (('year', 'status'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Drop the export tables."""

    migrator.remove_model('export_run')

    migrator.remove_model('export_lock')

    migrator.remove_model('export_settings')
