"""«Школа → Перевод учебного года»: the wizard (dates and periods, the preview with its choices, apply).

The page keeps no state between its steps: step 1's fields travel in the preview's form, and
every POST reads them again, so the preview shown is always what apply would do.
"""

from flask import current_app, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from admin_views.base import SecureBaseView
from app.clock import app_clock
from app.models import SchoolYear
from app.models.school import TERM_KINDS
from app.permissions import Perm
from app.services import year_transition
from app.services.errors import DomainError
from app.settings import app_settings

# Blank rows the first step offers for periods and holidays beyond the proposal.
SPARE_ROWS = 2


def _me():
    return current_user._get_current_object()


def _checked_form() -> None:
    if not FlaskForm().validate_on_submit():
        raise DomainError("Форма устарела: обновите страницу и повторите.")


class YearTransitionView(SecureBaseView):
    """The transfer to a new school year, for the administrator (year.transition)."""

    required_permission = Perm.YEAR_TRANSITION

    def _step1(self, plan, error=None, status=200):
        return (
            self.render(
                "year/plan.html",
                plan=plan,
                old=SchoolYear.current(),
                term_kinds=TERM_KINDS,
                spare=range(SPARE_ROWS),
                error=error,
                transitions=list(year_transition.transitions().limit(20)),
                clock=app_clock(current_app),
            ),
            status,
        )

    @expose("/")
    def index(self):
        old = SchoolYear.current()
        plan = year_transition.propose(old) if old is not None else None
        return self._step1(plan)

    def _preview(self, plan, choices, error=None, status=200):
        seen = year_transition.preview(_me(), plan, choices, now=app_clock(current_app).now())
        return (
            self.render(
                "year/preview.html",
                seen=seen,
                plan_fields=year_transition.plan_fields(plan),
                student_choices=year_transition.STUDENT_CHOICES,
                group_choices=year_transition.GROUP_CHOICES,
                error=error,
            ),
            status,
        )

    def _read(self):
        _checked_form()
        plan = year_transition.plan_from_form(request.form)
        if request.form.get("step") == "1":
            # From step 1: the preview starts with everything carried over.
            choices = year_transition.Choices()
        else:
            choices = year_transition.choices_from_form(request.form)
        return plan, choices

    @expose("/preview", methods=["POST"])
    def preview(self):
        try:
            plan, choices = self._read()
        except DomainError as exc:
            return self._step1(_plan_or_proposal(), exc.message, 400)
        try:
            return self._preview(plan, choices)
        except DomainError as exc:
            return self._step1(plan, exc.message, 400)

    @expose("/apply", methods=["POST"])
    def apply(self):
        try:
            plan, choices = self._read()
        except DomainError as exc:
            return self._step1(_plan_or_proposal(), exc.message, 400)
        clock = app_clock(current_app)
        try:
            outcome = year_transition.apply(_me(), plan, choices, now=clock.now(), settings=app_settings(current_app))
        except DomainError as exc:
            try:
                return self._preview(plan, choices, exc.message, 400)
            except DomainError as again:
                return self._step1(plan, again.message, 400)
        flash(outcome.message, "success" if outcome.changed else "info")
        return redirect(url_for(".index"), 303)


def _plan_or_proposal():
    old = SchoolYear.current()
    return year_transition.propose(old) if old is not None else None


def register(admin) -> None:
    """Register the wizard under «Школа»."""
    admin.add_view(
        YearTransitionView(
            name="Перевод учебного года", endpoint="year_transition", url="/year-transition", category="Школа"
        )
    )
