"""Benchmarks of the audit trail at a year's scale: its pages, filters and search through HTTP.

Run with the others (`make bench`, or `python -m bench --only audit`). The large demo school has a
year of audit (app/demo/audit_trail.py, about 850,000 entries); a bench database seeded before it
had one gets it written here first. Each case is the administrator's GET of the list page (50
entries, described for people), the median of RUNS after one warm-up, with its SQL query count;
the target is ≤ TARGET_MS for every case, on SQLite and PostgreSQL (BENCH_DATABASE_URL).
"""

import statistics
import time
from urllib.parse import quote

RUNS = 5
TARGET_MS = 100.0


def _ensure_a_year_of_audit() -> int:
    from app.db import db
    from app.demo.audit_trail import write_journal_audit
    from app.models import AuditEntry

    if AuditEntry.select().where(AuditEntry.model == "Mark").limit(1).exists():
        return 0
    with db.atomic():
        written = write_journal_audit()
    db.execute_sql("ANALYZE")
    return written


def _cases(index) -> dict[str, str]:
    """The URLs to measure: every kind of page a person opens on the trail."""
    from peewee import fn

    from app.models import AuditEntry, Student

    def flt(name, operation=None):
        for number, one in enumerate(index._filters):
            if one.name == name and (operation is None or str(one.operation()) == operation):
                return number
        raise LookupError(name)

    count = AuditEntry.select().count()
    middle = AuditEntry.select(AuditEntry.id).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(count // 2)
    middle_id = middle.limit(1).scalar()
    busiest = (
        AuditEntry.select(AuditEntry.actor)
        .where(AuditEntry.actor.is_null(False))
        .group_by(AuditEntry.actor)
        .order_by(fn.COUNT(AuditEntry.id).desc())
        .limit(1)
        .scalar()
    )
    common = Student.select(Student.last_name).group_by(Student.last_name).order_by(fn.COUNT(Student.id).desc())
    surname = common.limit(1).scalar()
    one = Student.select().order_by(Student.id).first()
    day = AuditEntry.select(AuditEntry.at).where(AuditEntry.id == middle_id).scalar().date().isoformat()
    return {
        "first page": "/auditentry/",
        "a page in the middle of the year": f"/auditentry/?older_than={middle_id}",
        "search: a common surname": f"/auditentry/?search={quote(surname)}",
        "search: one student's name": f"/auditentry/?search={quote(f'{one.last_name} {one.first_name}')}",
        "search: a word nobody has": f"/auditentry/?search={quote('Зюзюкин')}",
        "filter: the busiest teacher": f"/auditentry/?flt0_{flt('Кто')}={busiest}",
        "filter: lessons (a kind of record)": f"/auditentry/?flt0_{flt('Объект')}=Lesson",
        "filter: one day": f"/auditentry/?flt0_{flt('Дата', 'с')}={day}&flt1_{flt('Дата', 'по')}={day}",
        "filter + search: teacher and surname": f"/auditentry/?flt0_{flt('Кто')}={busiest}&search={quote(surname)}",
    }, count


def measure(ctx) -> dict:
    from app.db import db
    from bench.bench_journal import QueryCounter

    with ctx.app.app_context(), db.connection_context():
        written = _ensure_a_year_of_audit()
        view = next(v for v in ctx.app.extensions["admin"][0]._views if v.endpoint == "auditentry")
        cases, count = _cases(view)
    client = ctx.client("admin")
    found = {"entries": count, "written": written, "cases": {}}
    for name, url in cases.items():
        response = client.get(url)  # warm up
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        with ctx.app.app_context(), QueryCounter(db.obj) as counter:
            client.get(url)
        shown = response.get_data(as_text=True).count("/auditentry/details/?id=")
        found["cases"][name] = {
            "ms": statistics.median(times) * 1000,
            "min": min(times) * 1000,
            "max": max(times) * 1000,
            "queries": counter.count,
            "shown": shown,
        }
    return found


def run(ctx, Result) -> list:
    """Every audit page a person opens, with a year of entries: median time, range, queries, target."""
    figures = measure(ctx)
    results = [
        Result(
            "audit entries",
            figures["entries"],
            "",
            f"{figures['written']} written for this run" if figures["written"] else "",
        )
    ]
    for name, one in figures["cases"].items():
        met = one["ms"] <= TARGET_MS
        results.append(
            Result(
                f"audit {name}",
                round(one["ms"], 1),
                "ms",
                f"{one['min']:.0f}–{one['max']:.0f} ms over {RUNS}; {one['queries']} queries; {one['shown']} shown; "
                f"target ≤ {TARGET_MS:.0f} ms: {'ok' if met else 'MISSED'}",
            )
        )
    return results
