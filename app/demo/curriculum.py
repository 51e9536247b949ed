"""The demo school's curriculum: subjects, weekly hours per grade, and who teaches what."""

# (name, short name) in the order subjects appear in lists.
SUBJECTS = (
    ("Русский язык", "Рус. яз."),
    ("Литературное чтение", "Лит. чтение"),
    ("Литература", "Лит-ра"),
    ("Английский язык", "Англ. яз."),
    ("Математика", "Матем."),
    ("Алгебра", "Алгебра"),
    ("Геометрия", "Геометрия"),
    ("Вероятность и статистика", "Вер. и стат."),
    ("Информатика", "Информ."),
    ("История", "История"),
    ("Обществознание", "Общ."),
    ("География", "Геогр."),
    ("Биология", "Биол."),
    ("Физика", "Физика"),
    ("Химия", "Химия"),
    ("Окружающий мир", "Окр. мир"),
    ("Основы религиозных культур и светской этики", "ОРКСЭ"),
    ("Основы духовно-нравственной культуры народов России", "ОДНКНР"),
    ("Музыка", "Музыка"),
    ("Изобразительное искусство", "ИЗО"),
    ("Труд (технология)", "Труд"),
    ("Физическая культура", "Физ-ра"),
    ("Основы безопасности и защиты Родины", "ОБЗР"),
    ("Финансовая грамотность", "Фин. грамотность"),
    ("Практикум по математике", "Практикум по матем."),
    ("Разговоры о важном", "Разговоры о важном"),
)


def _hours(text: str) -> dict[str, int]:
    """Parse 'Short name 5, Other 2' (short names of SUBJECTS) into {full name: hours}."""
    by_short = {short: name for name, short in SUBJECTS}
    result = {}
    for item in text.split(","):
        short, _, hours = item.strip().rpartition(" ")
        result[by_short[short]] = int(hours)
    return result


# Weekly hours per grade (after the federal basic curriculum); grades 1–6 study five days a
# week, grades 7–11 six.
SENIOR_10_11 = (
    "Рус. яз. 3, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 3, Вер. и стат. 1, Информ. 2, "
    "История 3, Общ. 2, Геогр. 1, Биол. 2, Физика 3, Химия 2, ОБЗР 1, Физ-ра 3"
)
CURRICULUM = {
    1: _hours("Рус. яз. 5, Лит. чтение 4, Матем. 4, Окр. мир 2, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"),
    2: _hours("Рус. яз. 5, Лит. чтение 4, Англ. яз. 2, Матем. 4, Окр. мир 2, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"),
    3: _hours("Рус. яз. 5, Лит. чтение 4, Англ. яз. 2, Матем. 4, Окр. мир 2, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"),
    4: _hours(
        "Рус. яз. 5, Лит. чтение 3, Англ. яз. 2, Матем. 4, Окр. мир 2, ОРКСЭ 1, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"
    ),
    5: _hours(
        "Рус. яз. 5, Лит-ра 3, Англ. яз. 3, Матем. 5, История 2, Геогр. 1, Биол. 1, ОДНКНР 1, "
        "Музыка 1, ИЗО 1, Труд 2, Физ-ра 3, Информ. 1"
    ),
    6: _hours(
        "Рус. яз. 6, Лит-ра 3, Англ. яз. 3, Матем. 5, История 2, Общ. 1, Геогр. 1, Биол. 1, "
        "ОДНКНР 1, Музыка 1, ИЗО 1, Труд 2, Физ-ра 3"
    ),
    7: _hours(
        "Рус. яз. 5, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 2, Вер. и стат. 1, Информ. 1, "
        "История 2, Общ. 1, Геогр. 2, Биол. 1, Физика 2, Музыка 1, ИЗО 1, Труд 2, Физ-ра 3"
    ),
    8: _hours(
        "Рус. яз. 4, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 2, Вер. и стат. 1, Информ. 1, "
        "История 2, Общ. 1, Геогр. 2, Биол. 2, Физика 2, Химия 2, Музыка 1, Труд 1, ОБЗР 1, Физ-ра 3"
    ),
    9: _hours(
        "Рус. яз. 4, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 2, Вер. и стат. 1, Информ. 1, "
        "История 3, Общ. 1, Геогр. 2, Биол. 2, Физика 3, Химия 2, ОБЗР 1, Физ-ра 3"
    ),
    10: _hours(SENIOR_10_11),
    11: _hours(SENIOR_10_11),
}


def days_per_week(grade: int) -> int:
    """Return how many days a week a grade studies."""
    return 5 if grade <= 6 else 6


# A primary class (grades 1–4) has one teacher for everything except these specialists' subjects.
PRIMARY_SPECIALIST = {"Английский язык", "Музыка", "Физическая культура"}
PRIMARY = "primary"
# Departments of subject teachers: each teacher belongs to one and teaches all its subjects.
DEPARTMENTS = {
    "math": ("Математика", "Алгебра", "Геометрия", "Вероятность и статистика", "Практикум по математике"),
    "ru": ("Русский язык", "Литература"),
    "en": ("Английский язык",),
    "hist": (
        "История",
        "Обществознание",
        "Основы духовно-нравственной культуры народов России",
        "Основы религиозных культур и светской этики",
        "Финансовая грамотность",
    ),
    "nature": ("География", "Биология"),
    "phys": ("Физика", "Информатика"),
    "chem": ("Химия",),
    "arts": ("Музыка", "Изобразительное искусство"),
    "tech": ("Труд (технология)",),
    "pe": ("Физическая культура", "Основы безопасности и защиты Родины"),
}
DEPARTMENT_OF = {subject: dept for dept, subjects in DEPARTMENTS.items() for subject in subjects}


# Subjects a class is split for, with the split's name as schools write it («5А, англ., гр. 1»).
SPLITS = {"Английский язык": "англ.", "Информатика": "информ."}
SPLIT_GROUPS = 2
# A senior grade's elective course (hours a week), taught to volunteers of all the grade's classes together.
ELECTIVES = {10: ("Финансовая грамотность", 1), 11: ("Практикум по математике", 1)}
# The extracurricular course of every class: Monday's first lesson, led by the class teacher, no marks.
EXTRACURRICULAR = "Разговоры о важном"


def department(grade: int, subject: str) -> str:
    """Return who teaches a subject in a grade: the primary class's teacher or a department."""
    if grade <= 4 and subject not in PRIMARY_SPECIALIST:
        return PRIMARY
    return DEPARTMENT_OF[subject]
