"""`flask year transition` and the wizard's pages: preview, recalculation, apply, refusals shown in Russian."""

import re

from app.models import ClassGroup, Enrollment, SchoolYear, YearTransition
from app.services import year_transition
from tests.conftest import login
from tests.year.test_transition import _table_counts


def test_cli_dry_run_prints_the_preview_and_changes_nothing(runner, school):
    before = _table_counts()
    result = runner.invoke(
        args=["year", "transition", "--to", "2027/2028", "--dry-run", "--repeat", str(school.rep.id)]
    )
    assert result.exit_code == 0, result.output
    assert "Перевод: 2026/2027 → 2027/2028" in result.output
    assert "5А → 6А" in result.output and "11А: выпуск" in result.output
    assert "Репин Илья Иванович: остаётся на повторное обучение → 5А" in result.output
    assert "Пробный запуск: ничего не изменено." in result.output
    assert _table_counts() == before


def test_cli_refuses_unconfirmed_warnings_then_transfers_once(runner, school):
    result = runner.invoke(args=["year", "transition", "--to", "2027/2028"])
    assert result.exit_code != 0
    assert "подтвердите, что предупреждения прочитаны" in result.output
    assert not YearTransition.select().exists()
    result = runner.invoke(args=["year", "transition", "--to", "2027/2028", "--confirm", "--leave", str(school.out.id)])
    assert result.exit_code == 0, result.output
    assert "Школа переведена в учебный год 2027/2028" in result.output
    assert YearTransition.get().applied_by_name == "командная строка"
    again = runner.invoke(args=["year", "transition", "--to", "2027/2028", "--confirm"])
    assert again.exit_code == 0
    assert "уже выполнен: ничего не изменено" in again.output
    assert YearTransition.select().count() == 1


def test_cli_renames_a_class_and_refuses_an_unknown_one(runner, school):
    result = runner.invoke(args=["year", "transition", "--to", "2027/2028", "--dry-run", "--rename", "5Б=В"])
    assert result.exit_code == 0, result.output
    assert "5Б → 6В" in result.output
    result = runner.invoke(args=["year", "transition", "--to", "2027/2028", "--dry-run", "--rename", "7Я=В"])
    assert result.exit_code != 0
    assert "укажите класс текущего года и новую букву" in result.output


def _hidden_fields(html: str) -> dict:
    fields = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        fields[name] = value
    return fields


def _step1_fields(school) -> dict:
    fields = year_transition.plan_fields(year_transition.propose(name="2027/2028"))
    return {**fields, "step": "1"}


def test_the_wizard_previews_recalculates_and_applies(client, school):
    assert login(client, "admin").status_code == 302
    page = client.get("/year-transition/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="2027/2028"' in html and 'value="01.09.2027"' in html
    preview = client.post("/year-transition/preview", data=_step1_fields(school))
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert "Переводятся в следующий класс: 8" in html
    assert "Шапкин Глеб Иванович" in html  # left in January, listed, not carried
    # Recalculate with a repeater and a renamed class.
    form = {
        **_hidden_fields(html),
        "groups": "carry",
        "load": "1",
        "timetable": "1",
        "class_teachers": "1",
        f"student-{school.rep.id}": "repeat",
        f"letter-{school.classes['5Б'].id}": "В",
    }
    form.pop("csrf_token", None)
    again = client.post("/year-transition/preview", data=form)
    html = again.get_data(as_text=True)
    assert "Остаются на повторное обучение: 1" in html and "6В — 1 уч." in html
    # Applying without confirming the warnings is refused, shown on the preview, nothing written.
    refused = client.post("/year-transition/apply", data=form)
    assert refused.status_code == 400
    assert "подтвердите, что предупреждения прочитаны" in refused.get_data(as_text=True)
    assert not YearTransition.select().exists()
    done = client.post("/year-transition/apply", data={**form, "confirm": "1"})
    assert done.status_code == 303
    page = client.get("/year-transition/").get_data(as_text=True)
    assert "Школа переведена в учебный год 2027/2028" in page
    assert "Перевод 2026/2027 → 2027/2028" in page
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    six_v = ClassGroup.get((ClassGroup.year == new.id) & (ClassGroup.grade == 6) & (ClassGroup.letter == "В"))
    assert Enrollment.select().where(Enrollment.class_group == six_v.id).count() == 1
    # A second apply of the same form changes nothing and says so.
    before = _table_counts()
    client.post("/year-transition/apply", data={**form, "confirm": "1"})
    assert "уже выполнен: ничего не изменено" in client.get("/year-transition/").get_data(as_text=True)
    assert _table_counts() == before


def test_bad_dates_in_the_wizard_are_a_russian_message(client, school):
    assert login(client, "admin").status_code == 302
    response = client.post("/year-transition/preview", data={**_step1_fields(school), "start_date": "31.02.2027"})
    assert response.status_code == 400
    assert "укажите дату в виде ДД.ММ.ГГГГ" in response.get_data(as_text=True)
    response = client.post("/year-transition/preview", data={**_step1_fields(school), "start_date": "01.05.2027"})
    assert response.status_code == 400
    assert "пересекается с учебным годом 2026/2027" in response.get_data(as_text=True)


def test_only_the_administrator_may_post(client, school, make_staff):
    assert login(client, "zavuch").status_code == 302
    assert client.get("/year-transition/").status_code == 403
    assert client.post("/year-transition/apply", data={**_step1_fields(school), "confirm": "1"}).status_code == 403
    assert not YearTransition.select().exists()
