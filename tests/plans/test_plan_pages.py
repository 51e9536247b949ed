"""The plan pages as people use them: upload, preview, apply; the lesson panel's plan controls; who may do what."""

import re

from app.models import LessonPlanRow, PlanRow, ThematicPlan
from app.services import journal, plans
from tests.plans.conftest import GOOD_ROWS, plan_xlsx


def _upload(client, journal_id, data, name="ktp.xlsx"):
    return client.post(
        f"/journal/plans/{journal_id}/preview",
        data={"file": (__import__("io").BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _apply_from(client, journal_id, page: str):
    rows = re.search(r'name="rows" value="([^"]*)"', page).group(1)
    import html

    return client.post(f"/journal/plans/{journal_id}/apply", data={"rows": html.unescape(rows)})


def test_teacher_uploads_previews_and_applies(school, as_user):
    client = as_user(school.teacher)
    bad = list(GOOD_ROWS)
    bad[3] = (3, "Сравнение чисел", 0, None, None)
    page = _upload(client, school.j5a.id, plan_xlsx(bad)).get_data(as_text=True)
    assert "Строка 6: часы «0»: нужно целое число от 1 до 99." in page
    assert 'id="apply-plan"' not in page and ThematicPlan.select().count() == 0
    response = _upload(client, school.j5a.id, plan_xlsx())
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ошибок нет: строк — 6, часов — 7." in page
    assert _apply_from(client, school.j5a.id, page).status_code == 303
    assert PlanRow.select().count() == 6
    page = client.get(f"/journal/plans/{school.j5a.id}").get_data(as_text=True)
    assert "Тематический план загружен." in page and "Раздел 2. Действия с числами" in page


def test_a_tampered_preview_is_checked_again(school, as_user):
    client = as_user(school.teacher)
    response = client.post(
        f"/journal/plans/{school.j5a.id}/apply", data={"rows": '[{"line": 3, "topic": "", "hours": "x"}]'}
    )
    assert response.status_code == 303 and PlanRow.select().count() == 0
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Строка 3: не указана тема; часы «x»" in page
    assert client.post(f"/journal/plans/{school.j5a.id}/apply", data={"rows": "{"}).status_code == 303
    assert PlanRow.select().count() == 0


def test_others_may_not_write_the_plan(school, as_user):
    plans.apply_rows(
        school.teacher,
        school.j5a,
        [r.raw for r in plans.preview_file(school.teacher, school.j5a, "k.xlsx", plan_xlsx()).rows],
        clock=school.clock,
    )
    other = as_user(school.other)
    # Кузнецов teaches 5Б, not 5А: the plan of 5А is not his to read or write.
    assert other.get(f"/journal/plans/{school.j5a.id}").status_code == 403
    assert _upload(other, school.j5a.id, plan_xlsx()).status_code == 403
    assert other.post(f"/journal/plans/{school.j5a.id}/approve", data={"comment": ""}).status_code == 403
    teacher = as_user(school.teacher)
    teacher.post(f"/journal/plans/{school.j5a.id}/approve", data={"comment": ""})
    assert ThematicPlan.get().status == "draft"
    # The head reads every plan and writes none.
    head = as_user(school.head)
    assert head.get(f"/journal/plans/{school.j5a.id}").status_code == 200
    assert _upload(head, school.j5a.id, plan_xlsx()).status_code == 403
    deputy = as_user(school.deputy)
    assert deputy.post(f"/journal/plans/{school.j5a.id}/approve", data={"comment": "Хорошо"}).status_code == 303
    assert ThematicPlan.get().status == "approved"
    listing = deputy.get("/journal/plans/").get_data(as_text=True)
    assert "утверждён" in listing and "нет плана" in listing


def test_the_lesson_panel_proposes_the_row_and_its_controls_work(school, as_user):
    plans.apply_rows(
        school.teacher,
        school.j5a,
        [r.raw for r in plans.preview_file(school.teacher, school.j5a, "k.xlsx", plan_xlsx()).rows],
        clock=school.clock,
    )
    client = as_user(school.teacher)
    lesson = school.lessons[0]
    page = client.get(f"/journal/lesson/{lesson.id}").get_data(as_text=True)
    assert "Следующая строка: № 1. Ряд натуральных чисел" in page
    assert "Ряд натуральных чисел</textarea>" in page
    row_id = re.search(r'name="plan_row_id" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(
        f"/journal/lesson/{lesson.id}",
        data={
            "version": "1",
            "topic": "Ряд натуральных чисел",
            "homework": "№ 1–5",
            "held": "y",
            "plan_row_id": row_id,
        },
    )
    assert response.status_code == 303
    saved = journal.get_lesson(lesson.id)
    assert saved.held and saved.topic == "Ряд натуральных чисел" and LessonPlanRow.select().count() == 1
    response = client.post(f"/journal/lesson/{lesson.id}/plan", data={"version": str(saved.version), "action": "merge"})
    assert response.status_code == 303
    assert journal.get_lesson(lesson.id).topic == "Ряд натуральных чисел; Десятичная запись числа"
    # A stale version: nothing changes, the person is told.
    response = client.post(f"/journal/lesson/{lesson.id}/plan", data={"version": "1", "action": "skip"})
    assert response.status_code == 303 and LessonPlanRow.select().count() == 2
    assert "Ваши изменения не сохранены" in client.get(response.headers["Location"]).get_data(as_text=True)
    # Another teacher may not touch the lesson's plan row.
    other = as_user(school.other)
    version = str(journal.get_lesson(lesson.id).version)
    assert (
        other.post(f"/journal/lesson/{lesson.id}/plan", data={"version": version, "action": "skip"}).status_code == 403
    )


def test_program_report_downloads(school, as_user):
    client = as_user(school.deputy)
    response = client.get("/reports/program/xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    response = client.get("/reports/program/pdf")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    assert client.get("/reports/program/doc").status_code == 404


def test_program_report_is_one_of_the_reports_and_a_teacher_reads_only_their_journals(school, as_user):
    teacher = as_user(school.teacher).get("/reports/program/").get_data(as_text=True)
    deputy = as_user(school.deputy).get("/reports/program/").get_data(as_text=True)
    assert "Выполнение программы" in as_user(school.teacher).get("/reports/").get_data(as_text=True)
    assert "Отставание" in teacher and "Отставание" in deputy
    # Кузнецов teaches 5Б and 6Б: the deputy reads his journals, the other teacher does not.
    assert "Кузнецов" in deputy and "Кузнецов" not in teacher


def test_the_plans_list_filters_by_state_and_grade_and_counts_each(school, as_user):
    client = as_user(school.deputy)
    rows = [r.raw for r in plans.preview_file(school.teacher, school.j5a, "k.xlsx", plan_xlsx()).rows]
    plans.apply_rows(school.teacher, school.j5a, rows, clock=school.clock)
    page = client.get("/journal/plans/").get_data(as_text=True)
    assert re.search(r'id="plan-filter-none"[^>]*>Без плана <span class="badge badge-light">2</span>', page)
    assert re.search(r'id="plan-filter-draft"[^>]*>Черновики <span class="badge badge-light">1</span>', page)
    drafts = client.get("/journal/plans/", query_string={"show": "draft"}).get_data(as_text=True)
    assert f'id="plan-line-{school.j5a.id}"' in drafts and f'id="plan-line-{school.j5b.id}"' not in drafts
    none = client.get("/journal/plans/", query_string={"show": "none", "grade": "6"}).get_data(as_text=True)
    assert f'id="plan-line-{school.j6b.id}"' in none and f'id="plan-line-{school.j5b.id}"' not in none
    for junk in ({"show": "x' or 1=1"}, {"grade": "пять"}, {"grade": "99999999999999999999"}):
        assert client.get("/journal/plans/", query_string=junk).status_code == 200
