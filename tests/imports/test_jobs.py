"""A large upload goes to a real RQ worker with progress; `flask import` runs the same path from the command line."""

import pytest

from app.models import ImportJob, Staff, Subject
from tests.imports.test_imports import STAFF_CSV, SUBJECTS_CSV, YEAR, admin, upload  # noqa: F401 (fixture)
from tests.print.conftest import work  # noqa: F401 (the fixture: a burst worker)


def test_a_file_above_the_inline_size_is_checked_and_applied_by_a_worker(app, client, admin, work):  # noqa: F811
    app.config["IMPORT_INLINE_BYTES"] = 10
    response = upload(client, "staff", STAFF_CSV)
    assert response.status_code == 303
    job = ImportJob.get()
    assert job.status == "queued" and job.job_id
    page = client.get(f"/imports/{job.id}/").get_data(as_text=True)
    assert 'data-refresh="2"' in page and "страница обновится сама" in page
    work()
    job = ImportJob.get_by_id(job.id)
    assert job.status == "checked" and job.progress == job.total == 2
    assert job.preview_data["counts"]["Сотрудник"]["new"] == 2
    assert Staff.select().count() == 1
    client.post(f"/imports/{job.id}/apply")
    assert ImportJob.get_by_id(job.id).status == "applying"
    work()
    assert ImportJob.get_by_id(job.id).status == "done"
    assert Staff.select().count() == 3
    assert "data-refresh" not in client.get(f"/imports/{job.id}/").get_data(as_text=True)


@pytest.fixture
def subjects_file(tmp_path):
    path = tmp_path / "предметы.csv"
    path.write_text(SUBJECTS_CSV, encoding="utf-8")
    return path


def test_flask_import_checks_with_dry_run_then_applies(app, runner, subjects_file):
    from app.models import SchoolYear

    SchoolYear.create(**YEAR)
    result = runner.invoke(args=["import", "subjects", str(subjects_file), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Предмет: новых 2" in result.output and Subject.select().count() == 0
    result = runner.invoke(args=["import", "subjects", str(subjects_file)])
    assert result.exit_code == 0 and Subject.select().count() == 2
    result = runner.invoke(args=["import", "subjects", str(subjects_file)])
    assert "новых 0, изменённых 0, без изменений 2" in result.output
    subjects_file.write_text("Предмет;Краткое название\nМатематика;матем.\nФизика;31.02.2027\n;x\n", encoding="utf-8")
    result = runner.invoke(args=["import", "subjects", str(subjects_file)])
    assert result.exit_code == 1
    assert "Строка 4, столбец «Предмет»: пустая ячейка: поле обязательно" in result.output
    assert Subject.select().count() == 2
