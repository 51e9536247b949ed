"""The deputy's journal check (R4.1) and the remarks staff fix (R4.2): thin pages over app/services/journal_check.py."""

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.formats import month_label
from app.models import SchoolYear, Staff
from app.permissions import Perm
from app.services import access, diary_check, journal_check, school
from app.services.errors import AccessDenied, DomainError, NotFound
from app.services.exports.planner import overview as exports_overview


def _me():
    return current_user._get_current_object()


def _clock():
    return app_clock(current_app)


def finding_url(finding) -> str:
    """Where a finding is fixed: the lesson, the period's finals, or the journal's grid of the period."""
    if finding.lesson_id is not None:
        return url_for("journal.lesson", lesson_id=finding.lesson_id)
    if finding.code in ("missing_finals", "final_off"):
        return url_for("journal.finals_page", journal_id=finding.journal_id, column=f"term-{finding.term_id}")
    return url_for("journal.grid", journal_id=finding.journal_id, term_id=finding.term_id)


def remark_url(remark) -> str | None:
    """Where a remark points in the journal."""
    if remark.lesson_id:
        return url_for("journal.lesson", lesson_id=remark.lesson_id)
    if remark.journal_id:
        return url_for("journal.index") + f"#journal-{remark.journal_id}"
    return None


def _run(action, success: str):
    """Run a service call; flash its success or its Russian refusal. Access and missing records go to their pages."""
    try:
        result = action()
    except (AccessDenied, NotFound):
        raise
    except DomainError as exc:
        flash(exc.message, "error")
        return None
    flash(success.format(result=result), "success")
    return result


class CheckView(SecureBaseView):
    """«Проверка журнала»: a month's findings by teacher and journal, remarks, the paper comparison, publishing."""

    required_permission = Perm.JOURNAL_CHECK

    def is_accessible(self):
        return current_user.is_authenticated and access.can_view_checks(current_user)

    @expose("/", methods=["GET", "POST"])
    def index(self):
        me, clock = _me(), _clock()
        year = SchoolYear.current()
        if request.method == "POST":
            check = _run(
                lambda: journal_check.open_check(
                    me,
                    month=request.form.get("month"),
                    scope_kind=request.form.get("scope_kind", "school"),
                    scope_value=request.form.get(f"scope_{request.form.get('scope_kind', 'school')}"),
                    clock=clock,
                ),
                "Проверка открыта.",
            )
            if check is not None:
                return redirect(url_for(".check", check_id=check.id), 303)
        checks = list(journal_check.checks(me))
        counts = journal_check.remark_counts([c.id for c in checks])
        return self.render(
            "oversight/checks.html",
            year=year,
            checks=checks,
            counts=counts,
            title=journal_check.check_title,
            may_check=access.can_run_checks(me),
            months=journal_check.check_months(year, clock.today()) if year else [],
            month_label=month_label,
            scopes=journal_check.SCOPE_LABELS,
            grades=range(school.GRADES[0], school.GRADES[1] + 1),
            classes=journal_check.classes_of(year),
            teachers=list(Staff.active_staff()),
        )

    @expose("/<int:check_id>")
    def check(self, check_id):
        me = _me()
        check = journal_check.get_check(check_id)
        review = journal_check.review(me, check, clock=_clock())
        today = _clock().today()
        return self.render(
            "oversight/check.html",
            review=review,
            check=check,
            title=journal_check.check_title(check),
            may_check=access.can_run_checks(me),
            finding_url=finding_url,
            status_labels=journal_check.STATUS_LABELS,
            due=journal_check.default_due(today),
            today=today,
            journals=journal_check.journals_of(check),
            staff=list(Staff.active_staff()),
        )

    @expose("/<int:check_id>/dismiss", methods=["POST"])
    def dismiss(self, check_id):
        _run(
            lambda: journal_check.dismiss(
                _me(), check_id, request.form.get("key"), request.form.get("reason"), clock=_clock()
            ),
            "Находка снята: в проверках она больше не появится.",
        )
        return redirect(url_for(".check", check_id=check_id), 303)

    @expose("/<int:check_id>/remarks", methods=["POST"])
    def remarks(self, check_id):
        _run(
            lambda: journal_check.remarks_from_findings(
                _me(), check_id, request.form.getlist("key"), request.form.get("due_date"), clock=_clock()
            ),
            "Дано замечаний: {result}.",
        )
        return redirect(url_for(".check", check_id=check_id), 303)

    @expose("/<int:check_id>/remark", methods=["POST"])
    def remark(self, check_id):
        _run(
            lambda: journal_check.add_remark(
                _me(),
                check_id,
                assignee_id=request.form.get("assignee"),
                journal_id=request.form.get("journal") or None,
                text=request.form.get("text"),
                due_date=request.form.get("due_date"),
                clock=_clock(),
            ),
            "Замечание записано.",
        )
        return redirect(url_for(".check", check_id=check_id), 303)

    @expose("/<int:check_id>/paper", methods=["POST"])
    def paper(self, check_id):
        _run(
            lambda: journal_check.record_paper(
                _me(),
                check_id,
                request.form.get("journal"),
                done=request.form.get("done") == "y",
                note=request.form.get("note"),
                clock=_clock(),
            ),
            "Сверка с бумажным журналом записана.",
        )
        return redirect(url_for(".check", check_id=check_id) + f"#journal-{request.form.get('journal', '')}", 303)

    @expose("/<int:check_id>/publish", methods=["POST"])
    def publish(self, check_id):
        _run(
            lambda: journal_check.publish(_me(), check_id, clock=_clock()),
            "Проверка опубликована: замечания видны тем, кому они даны.",
        )
        return redirect(url_for(".check", check_id=check_id), 303)

    @expose("/<int:check_id>/print")
    def print_view(self, check_id):
        me = _me()
        check = journal_check.get_check(check_id)
        journal_check.ensure_can_view(me, check)
        return self.render(
            "oversight/print.html",
            check=check,
            title=journal_check.check_title(check),
            by_assignee=journal_check.remarks_by_assignee(check),
            status_labels=journal_check.STATUS_LABELS,
        )


class RemarksView(SecureBaseView):
    """«Замечания»: a staff member's remarks to fix; the deputy's remarks to accept and the overdue ones."""

    required_permission = None

    @expose("/")
    def index(self):
        me = _me()
        today = _clock().today()
        checker = access.can_run_checks(me)
        return self.render(
            "oversight/remarks.html",
            mine=list(journal_check.my_remarks(me)),
            to_review=list(journal_check.remarks_waiting_review()) if checker else [],
            overdue=list(journal_check.overdue_remarks(today)) if access.can_view_checks(me) else [],
            opened=list(journal_check.open_remarks()) if access.can_view_checks(me) else [],
            checker=checker,
            today=today,
            status_labels=journal_check.STATUS_LABELS,
            remark_url=remark_url,
        )

    @expose("/<int:remark_id>", methods=["GET", "POST"])
    def remark(self, remark_id):
        me, clock = _me(), _clock()
        remark = journal_check.get_remark(me, remark_id)
        if request.method == "POST":
            action = request.form.get("action")
            steps = {
                "fixed": (
                    lambda: journal_check.mark_fixed(me, remark.id, request.form.get("comment"), clock=clock),
                    "Замечание отмечено исправленным: его посмотрит заместитель директора.",
                ),
                "accepted": (lambda: journal_check.accept(me, remark.id, clock=clock), "Исправление принято."),
                "returned": (
                    lambda: journal_check.return_remark(me, remark.id, request.form.get("comment"), clock=clock),
                    "Замечание возвращено с комментарием.",
                ),
            }
            if action not in steps:
                raise DomainError("Неизвестное действие.")
            if _run(*steps[action]) is not None:
                return redirect(url_for(".remark", remark_id=remark.id), 303)
            remark = journal_check.get_remark(me, remark.id)
        return self.render(
            "oversight/remark.html",
            remark=remark,
            events=journal_check.history(remark),
            status_labels=journal_check.STATUS_LABELS,
            place=journal_check.place_of(remark),
            link=remark_url(remark),
            may_fix=remark.assignee_id == me.id and remark.status in journal_check.OPEN_STATUSES,
            may_review=access.can_run_checks(me) and remark.status == "fixed",
            overdue=remark.status in journal_check.OPEN_STATUSES and remark.due_date < clock.today(),
        )


class DiaryCheckView(SecureBaseView):
    """«Проверка дневника» (R7): the month as the portal shows it beside the journal, confirmed or reported."""

    required_permission = None

    @expose("/")
    def index(self):
        me = _me()
        viewer = access.can_view_checks(me)
        return self.render(
            "oversight/diary_checks.html",
            mine=list(diary_check.my_checks(me)),
            everyone=list(diary_check.all_checks()) if viewer else [],
            viewer=viewer,
            today=_clock().today(),
            title=diary_check.title,
            status_labels=diary_check.STATUS_LABELS,
        )

    @expose("/<int:check_id>", methods=["GET", "POST"])
    def check(self, check_id):
        me, clock = _me(), _clock()
        check = diary_check.get_check(me, check_id)
        if request.method == "POST":
            action = request.form.get("action")
            if action == "confirm":
                done = _run(
                    lambda: diary_check.confirm(me, check.id, clock=clock), "Спасибо: данные отмечены как верные."
                )
            elif action == "report":
                done = _run(
                    lambda: diary_check.report(me, check.id, request.form.get("comment"), clock=clock),
                    "Сообщение о проблеме передано администратору.",
                )
            else:
                raise DomainError("Неизвестное действие.")
            if done is not None:
                return redirect(url_for(".check", check_id=check.id), 303)
            check = diary_check.get_check(me, check.id)
        review = diary_check.review(me, check, clock=clock, instance_path=current_app.config["INSTANCE_PATH"])
        return self.render(
            "oversight/diary_check.html",
            review=review,
            check=check,
            title=diary_check.title(check),
            status_labels=diary_check.STATUS_LABELS,
            exports=exports_overview(clock),
            own=check.staff_id == me.id,
            comment=request.form.get("comment", "") if request.method == "POST" else "",
        )


def remarks_waiting() -> int:
    """The menu's count of remarks waiting for the person viewing the page (to fix, or to accept for the deputy)."""
    if not current_user.is_authenticated:
        return 0
    me = _me()
    return journal_check.open_remark_count(me) + journal_check.remarks_to_review_count(me)


def diary_checks_due() -> int:
    """The menu's count of the person's e-diary checks still to answer."""
    return diary_check.due_count(_me()) if current_user.is_authenticated else 0


def register(admin) -> None:
    """Register the check and the remarks under the «Журнал» menu, and the menu's count of remarks."""
    admin.app.jinja_env.globals["remarks_waiting"] = remarks_waiting
    admin.app.jinja_env.globals["diary_checks_due"] = diary_checks_due
    category = "Журнал"
    admin.add_view(CheckView(name="Проверка журнала", endpoint="journal_check", url="/check", category=category))
    admin.add_view(RemarksView(name="Замечания", endpoint="remarks", url="/remarks", category=category))
    admin.add_view(
        DiaryCheckView(name="Проверка дневника", endpoint="diary_check", url="/diary-check", category=category)
    )
