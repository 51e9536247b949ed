"""After the transfer a full export of the new year is queued (R5.3) and reaches the portal."""

from app.models import ClassGroup, Enrollment, ExportRun, SchoolYear, YearTransition
from tests.conftest import login
from tests.exports.helpers import set_school


def test_the_full_export_is_queued_and_reaches_the_reference_receiver(app, school, transfer, portal, work, client):
    set_school()
    outcome = transfer(students={school.rep.id: "repeat"})
    new = SchoolYear.get(SchoolYear.name == "2027/2028")
    run = ExportRun.get()
    assert (run.kind, run.trigger, run.slot) == ("full", "year_transition", f"year-{new.id}")
    assert run.job_id, "queued right after the transaction's commit"
    assert outcome.export_run.id == run.id == YearTransition.get().export_run_id
    assert "поставлена в очередь" in outcome.message
    work()
    run = ExportRun.get_by_id(run.id)
    assert run.status == "delivered", run.error
    assert run.year_id == new.id
    held = portal.state[(run.school_code, new.id)]
    held_ids = lambda kind: {ident for (type_name, ident) in held if type_name == kind}  # noqa: E731
    assert held_ids("class_group") == {c.id for c in ClassGroup.select().where(ClassGroup.year == new.id)}
    new_enrollments = Enrollment.select().join(ClassGroup).where(ClassGroup.year == new.id)
    assert held_ids("enrollment") == {e.id for e in new_enrollments} and len(held_ids("enrollment")) == 8
    # It shows in the export history.
    assert login(client, "admin").status_code == 302
    html = client.get("/exportrun/").get_data(as_text=True)
    assert "перевод учебного года" in html


def test_a_second_run_asks_for_no_second_export(school, transfer, app):
    transfer()
    transfer()
    assert ExportRun.select().count() == 1
