"""Students with their guardians and enrollments: a student is keyed by full name and date of birth.

A row is one enrollment of a student (a student moved between classes has a row per class); up
to two guardians per row, each keyed by full name and phone and e-mail, linked with a relation.
A guardian named in several rows (siblings) is one guardian.
"""

from app.models import RELATIONS, ClassGroup, Enrollment, Guardian, Student, StudentGuardian
from app.services import students as student_service
from app.services.imports.common import (
    CellError,
    Change,
    Context,
    Field,
    Kind,
    record_change,
    split_full_name,
)

GUARDIANS = (1, 2)


def _guardian_fields(n: int) -> tuple[Field, ...]:
    return (
        Field(f"g{n}_name", f"Родитель {n}: ФИО", aliases=(f"родитель {n}", f"фио родителя {n}"), max_length=300),
        Field(f"g{n}_relation", f"Родитель {n}: кем приходится", aliases=(f"родитель {n} кем приходится",)),
        Field(f"g{n}_phone", f"Родитель {n}: телефон", aliases=(f"телефон родителя {n}", f"родитель {n} телефон")),
        Field(f"g{n}_email", f"Родитель {n}: эл. почта", aliases=(f"почта родителя {n}", f"родитель {n} email")),
    )


FIELDS = (
    Field("last_name", "Фамилия", required=True),
    Field("first_name", "Имя", required=True),
    Field("middle_name", "Отчество"),
    Field("birth_date", "Дата рождения", required=True, type="date", aliases=("родился", "д.р.", "дата рожд.")),
    Field("class", "Класс", required=True),
    Field("start_date", "Дата зачисления", required=True, type="date", aliases=("зачислен", "зачислен с")),
    Field("end_date", "Дата выбытия", type="date", aliases=("выбыл", "выбыл с")),
    *(f for n in GUARDIANS for f in _guardian_fields(n)),
)
RELATION_CODES = {label: code for code, label in RELATIONS} | {code: code for code, _label in RELATIONS}
RELATION_LABELS = dict(RELATIONS)
ENROLLMENT_LABELS = {"start_date": "дата зачисления", "end_date": "дата выбытия"}
LINK_LABELS = {"relation": "кем приходится"}


def _name(values: dict) -> str:
    return " ".join(values.get(k) or "" for k in ("last_name", "first_name", "middle_name")).strip()


def key(values: dict) -> str:
    born = values.get("birth_date")
    return f"{_name(values)}, {born:%d.%m.%Y} · {(values.get('class') or '').upper()}" if born else _name(values)


def _student_key(values: dict) -> str:
    born = values["birth_date"]
    return f"{_name(values)}, {born:%d.%m.%Y}"


def _relation(text: str | None, code: str) -> str:
    text = (text or "").strip().lower()
    if not text:
        return "other"
    if text not in RELATION_CODES:
        raise CellError(f"«{text}»: пишите {', '.join(RELATION_LABELS.values())}", code)
    return RELATION_CODES[text]


def _find_student(values: dict) -> Student | None:
    query = Student.select().where(
        (Student.last_name == values["last_name"])
        & (Student.first_name == values["first_name"])
        & (Student.birth_date == values["birth_date"])
    )
    matches = [s for s in query if (s.middle_name or None) == (values.get("middle_name") or None)]
    return matches[0] if matches else None


def _guardian(ctx: Context, values: dict, n: int, student: Student) -> list[Change]:
    name = values.get(f"g{n}_name")
    if not name:
        return []
    last, first, middle = split_full_name(name, f"g{n}_name")
    phone, email = values.get(f"g{n}_phone"), values.get(f"g{n}_email")
    relation = _relation(values.get(f"g{n}_relation"), f"g{n}_relation")
    query = Guardian.select().where((Guardian.last_name == last) & (Guardian.first_name == first))
    found = next(
        (
            g
            for g in query
            if (g.middle_name or None) == middle and (g.phone or None) == phone and (g.email or None) == email
        ),
        None,
    )
    guardian_key = ", ".join(p for p in (" ".join(p for p in (last, first, middle) if p), phone, email) if p)
    changes = []
    if found is None:
        found = student_service.create_guardian(
            ctx.actor,
            last_name=last,
            first_name=first,
            middle_name=middle,
            phone=phone,
            email=email,
            source=ctx.source,
        )
        changes.append(Change("Родитель", guardian_key, "new"))
    else:
        changes.append(Change("Родитель", guardian_key, "unchanged"))
    link = StudentGuardian.get_or_none((StudentGuardian.student == student.id) & (StudentGuardian.guardian == found.id))
    link_key = f"{guardian_key} → {student.full_name}, {student.birth_date:%d.%m.%Y}"
    after = {"relation": RELATION_LABELS[relation]}
    if link is None:
        student_service.create_link(
            ctx.actor, student=student.id, guardian=found.id, relation=relation, source=ctx.source
        )
        changes.append(record_change("Связь с родителем", link_key, LINK_LABELS, None, after))
        return changes
    change = record_change(
        "Связь с родителем", link_key, LINK_LABELS, {"relation": RELATION_LABELS.get(link.relation)}, after
    )
    if change.status == "updated":
        student_service.update_link(ctx.actor, link, relation=relation, source=ctx.source)
    changes.append(change)
    return changes


def apply_row(ctx: Context, values: dict) -> list[Change]:
    class_group: ClassGroup = ctx.class_group(values["class"], "class")
    student = _find_student(values)
    changes = []
    if student is None:
        student = student_service.create_student(
            ctx.actor,
            today=ctx.today,
            last_name=values["last_name"],
            first_name=values["first_name"],
            middle_name=values.get("middle_name"),
            birth_date=values["birth_date"],
            source=ctx.source,
        )
        changes.append(Change("Ученик", _student_key(values), "new"))
    else:
        changes.append(Change("Ученик", _student_key(values), "unchanged"))
    enrollment = Enrollment.get_or_none((Enrollment.student == student.id) & (Enrollment.class_group == class_group.id))
    after = {"start_date": values["start_date"], "end_date": values.get("end_date")}
    enrollment_key = f"{student.full_name}, {student.birth_date:%d.%m.%Y} — {class_group}"
    if enrollment is None:
        student_service.create_enrollment(
            ctx.actor, student=student.id, class_group=class_group.id, source=ctx.source, **after
        )
        changes.append(record_change("Зачисление", enrollment_key, ENROLLMENT_LABELS, None, after))
    else:
        before = {"start_date": enrollment.start_date, "end_date": enrollment.end_date}
        change = record_change("Зачисление", enrollment_key, ENROLLMENT_LABELS, before, after)
        if change.status == "updated":
            student_service.update_enrollment(ctx.actor, enrollment, source=ctx.source, **after)
        changes.append(change)
    for n in GUARDIANS:
        changes.extend(_guardian(ctx, values, n, student))
    return changes


def export_rows(year) -> list[dict]:
    if year is None:
        return []
    rows = (
        Enrollment.select(Enrollment, Student, ClassGroup)
        .join_from(Enrollment, Student)
        .join_from(Enrollment, ClassGroup)
        .where(ClassGroup.year == year.id)
        .order_by(ClassGroup.grade, ClassGroup.letter, Student.last_name, Student.first_name, Enrollment.start_date)
    )
    rows = list(rows)
    links: dict[int, list] = {}
    student_ids = list({r.student_id for r in rows})
    if student_ids:
        query = (
            StudentGuardian.select(StudentGuardian, Guardian)
            .join(Guardian)
            .where(StudentGuardian.student.in_(student_ids))
            .order_by(StudentGuardian.id)
        )
        for link in query:
            links.setdefault(link.student_id, []).append(link)
    out = []
    for r in rows:
        s = r.student
        row = {
            "last_name": s.last_name,
            "first_name": s.first_name,
            "middle_name": s.middle_name,
            "birth_date": s.birth_date,
            "class": str(r.class_group),
            "start_date": r.start_date,
            "end_date": r.end_date,
        }
        for n, link in zip(GUARDIANS, links.get(s.id, []), strict=False):
            g = link.guardian
            row[f"g{n}_name"] = g.full_name
            row[f"g{n}_relation"] = RELATION_LABELS.get(link.relation, link.relation)
            row[f"g{n}_phone"] = g.phone
            row[f"g{n}_email"] = g.email
        out.append(row)
    return out


KIND = Kind(
    code="students",
    title="Ученики и родители",
    description="Ученики с датами зачисления и родителями (до двух в строке). Ученик переведён в другой класс — "
    "по строке на каждое зачисление. Кем приходится: мать, отец, опекун, попечитель, иной законный представитель.",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={
        "last_name": "Петров",
        "first_name": "Пётр",
        "middle_name": "Иванович",
        "birth_date": "15.03.2015",
        "class": "5А",
        "start_date": "01.09.2026",
        "g1_name": "Петрова Анна Сергеевна",
        "g1_relation": "мать",
        "g1_phone": "+7 (812) 123-45-67",
        "g1_email": "petrova@example.ru",
    },
)
