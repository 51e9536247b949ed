"""The demo school: a believable Russian school to try the product on, or a large one to measure it.

`seed("small", today=…)` builds what `make run` shows: grades 5–7 and 10 with two classes each,
sixteen teachers, 5А's English in two groups taught at the same period (the `teacher` login has
group 1, `classteacher` leads 5А), 7А's informatics in two groups, an elective of 10А and 10Б
together, «Разговоры о важном» in every class, a timetable, thematic plans (most approved by the
deputy, a few drafts, a few journals without one), lessons planned from 1 September up to today
and the last few weeks of the journal filled in (from 1 September once the first quarter is over),
the lessons following their plans' rows. `seed("large", today=…)` builds a finished year of a big
school (60 classes, 1,500 students, 120 teachers, English split from grade 5 and informatics from
grade 7) for benchmarks. The year has quarters and halves: grades 10–11 learn by halves, the
others by quarters; a term that is over is closed, and once the first quarter is, grades 5–9 have
its finals. Both are deterministic for a given `today` and random seed, and both write with bulk
inserts in one transaction: a failure leaves the database as it was.

Not a service: it calls services and models (the planner's school days, the finals' periods and
rounding, the reference work types, the audit), and no service imports it. Its modules, by
concern: `spec` (sizes, logins), `names`, `curriculum` and `topics` (what a Russian school
teaches), `school_year` (vacations, quarters, halves), `school`, `people`, `study_groups`,
`timetable`, `plans`, `journal`, `final_marks`, `applications` (the builder's steps), `entities`
(what the builder holds in memory), `bulk` (the inserter), `report` and `seed` (the entry point).
"""

from app.demo.report import SeedReport, database_size_bytes, format_size
from app.demo.seed import ensure_empty, is_empty, seed
from app.demo.spec import DEMO_LOGINS, DEMO_PASSWORD, SIZES

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "SIZES",
    "SeedReport",
    "database_size_bytes",
    "ensure_empty",
    "format_size",
    "is_empty",
    "seed",
]
