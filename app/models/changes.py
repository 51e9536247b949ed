"""Change numbers and tombstones: what lets an export send only what changed (DESIGN 3)."""


from peewee import BigIntegerField, CharField, DateTimeField, IntegerField

from app.clock import utcnow
from app.db import BaseModel, db


class ChangeCounter(BaseModel):
    """One row holding the last change number handed out."""

    id = IntegerField(primary_key=True)
    value = BigIntegerField(default=0)

    class Meta:
        table_name = "change_counter"

    def __str__(self):
        return str(self.value)

    @classmethod
    def next_value(cls) -> int:
        """Take the next change number inside the caller's transaction.

        The UPDATE holds the counter row's lock until the transaction ends, so change
        numbers become visible in the order they were handed out, on SQLite and on
        PostgreSQL alike: an export that reads the counter never skips a row that
        commits later with a smaller number.
        """
        return cls.reserve(1)

    @classmethod
    def reserve(cls, count: int) -> int:
        """Take a block of `count` change numbers inside the caller's transaction; return the first.

        One UPDATE for the whole block, for bulk inserts: the same row lock as next_value
        keeps the numbers unique and in commit order.
        """
        if count < 1:
            raise ValueError("Reserve at least one change number.")
        cursor = db.execute_sql(
            f"UPDATE change_counter SET value = value + {db.param} WHERE id = 1 RETURNING value",
            (int(count),),
        )
        row = cursor.fetchone()
        if row is None:
            raise RuntimeError("The change counter row is missing: run `flask db upgrade`.")
        return row[0] - count + 1

    @classmethod
    def current(cls) -> int:
        """Return the last change number handed out and committed."""
        row = cls.get_or_none(cls.id == 1)
        return row.value if row else 0


class Tombstone(BaseModel):
    """A deleted exported row: its type, its id and the change number of the deletion."""

    record_type = CharField(max_length=40)
    record_id = IntegerField()
    change_no = BigIntegerField(index=True)
    deleted_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "tombstone"
        indexes = ((("record_type", "record_id"), False),)

    def __str__(self):
        return f"{self.record_type}#{self.record_id} @{self.change_no}"


class ExportedModel(BaseModel):
    """A model whose rows go to the portal: every save takes a change number, every delete leaves a tombstone."""

    change_no = BigIntegerField(index=True, default=0)

    # The record type name in export packages; set by each subclass.
    record_type = ""

    def save(self, *args, **kwargs):
        with db.atomic():
            self.change_no = ChangeCounter.next_value()
            return super().save(*args, **kwargs)

    def delete_instance(self, recursive=False, delete_nullable=False):
        if recursive:
            raise ValueError("Exported rows are never deleted recursively.")
        with db.atomic():
            Tombstone.create(
                record_type=self.record_type,
                record_id=self.get_id(),
                change_no=ChangeCounter.next_value(),
            )
            return super().delete_instance()
