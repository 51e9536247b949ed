"""Reference data every school starts with, in one place for the app (the demo school reads it).

Migrations keep their own frozen copies: a migration must write tomorrow what it wrote the day it
was applied, so it never imports this module. When a list here changes, a new migration brings
existing databases along; tests/test_demo.py checks that a freshly migrated database holds exactly
this list.
"""

# (name, default weight): the work types marks are given for; the administrator edits the list later.
DEFAULT_WORK_TYPES = (
    ("ответ на уроке", 1),
    ("домашняя работа", 1),
    ("самостоятельная работа", 2),
    ("проверочная работа", 2),
    ("диктант", 3),
    ("контрольная работа", 3),
    ("зачёт", 2),
)
