"""Record ids from the outside world, parsed and bounded in one place (DESIGN 10).

An id that is not a single decimal integer within the database's integer range is simply not an
id: callers answer 404 ("no such record"), the same as for an id that does not exist.
"""

# The largest value a BIGINT (PostgreSQL) or INTEGER (SQLite) column holds.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """Return value as a record id (1 … MAX_ID), or None when it cannot be one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit() or len(text) > 19:
            return None
        number = int(text)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values) -> list[int] | None:
    """Return every value as an id, or None when any of them cannot be one."""
    ids = [parse_id(v) for v in values]
    return None if any(i is None for i in ids) else ids
