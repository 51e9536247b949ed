"""Staff with their roles: login (the key), names, e-mail, roles by name or code."""

import re

from app.models import Staff
from app.services import roles as role_service
from app.services import staff as staff_service
from app.services.errors import DomainError
from app.services.imports.common import CellError, Change, Context, Field, Kind, record_change

FIELDS = (
    Field("login", "Логин", required=True, aliases=("логин", "login", "учётная запись", "учетная запись")),
    Field("last_name", "Фамилия", required=True),
    Field("first_name", "Имя", required=True),
    Field("middle_name", "Отчество"),
    Field("email", "Эл. почта", aliases=("email", "e-mail", "электронная почта", "почта")),
    Field("roles", "Роли", aliases=("роль", "права"), max_length=500),
)
LABELS = {
    "last_name": "фамилия",
    "first_name": "имя",
    "middle_name": "отчество",
    "email": "эл. почта",
    "roles": "роли",
}


def key(values: dict) -> str:
    return (values.get("login") or "").strip().lower()


def _role_codes(ctx: Context, text: str | None) -> list[str]:
    names = [part.strip() for part in re.split(r"[,;\n]", text or "") if part.strip()]
    return sorted({ctx.role(name, "roles").code for name in names})


def apply_row(ctx: Context, values: dict) -> list[Change]:
    try:
        login = staff_service.normalize_login(values["login"])
    except DomainError as exc:
        raise CellError(exc.message, "login") from None
    codes = _role_codes(ctx, values.get("roles"))
    after = {
        "last_name": values["last_name"],
        "first_name": values["first_name"],
        "middle_name": values.get("middle_name"),
        "email": values.get("email"),
    }
    found = Staff.get_or_none(Staff.login == login)
    if found is None:
        staff_service.create_staff(ctx.actor, login=login, role_codes=codes, source=ctx.source, **after)
        return [record_change("Сотрудник", login, LABELS, None, after)]
    before = {name: getattr(found, name) for name in after}
    before["roles"] = sorted(role_service.staff_role_codes(found))
    after["roles"] = codes
    change = record_change("Сотрудник", login, LABELS, before, after)
    if change.status == "updated":
        fields = {k: v for k, v in after.items() if k != "roles"}
        staff_service.update_staff(found, ctx.actor, active=found.active, role_codes=codes, source=ctx.source, **fields)
    return [change]


def export_rows(year) -> list[dict]:
    staff = list(Staff.select().order_by(Staff.last_name, Staff.first_name, Staff.login))
    roles = role_service.roles_by_staff([s.id for s in staff])
    return [
        {
            "login": s.login,
            "last_name": s.last_name,
            "first_name": s.first_name,
            "middle_name": s.middle_name,
            "email": s.email,
            "roles": ", ".join(r.name for r in roles[s.id]),
        }
        for s in staff
    ]


KIND = Kind(
    code="staff",
    title="Сотрудники и роли",
    description="Сотрудники школы с ролями (через запятую: «Учитель, Администратор»). Пароли не загружаются: "
    "их выдаёт администратор в разделе «Сотрудники».",
    fields=FIELDS,
    key=key,
    apply_row=apply_row,
    export_rows=export_rows,
    example={
        "login": "ivanova",
        "last_name": "Иванова",
        "first_name": "Анна",
        "middle_name": "Петровна",
        "email": "ivanova@school.ru",
        "roles": "Учитель",
    },
)
