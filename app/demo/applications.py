"""Parents' applications for e-diary access in the demo school, a few in every status."""

import datetime as dt

from app.demo.bulk import BulkInserter
from app.models import DiaryApplication


class Applications:
    """The builder's last step: applications of some students' parents (reads students, families, admin_id)."""

    def _applications(self) -> None:
        """Record a few parents' applications for e-diary access, in every status."""
        rng = self.rng
        statuses = ("granted", "granted", "entered", "accepted", "accepted", "rejected")
        rows = BulkInserter(
            DiaryApplication,
            [
                DiaryApplication.portal_number,
                DiaryApplication.submitted_on,
                DiaryApplication.received_by,
                DiaryApplication.student,
                DiaryApplication.guardian,
                DiaryApplication.student_last_name,
                DiaryApplication.student_first_name,
                DiaryApplication.student_middle_name,
                DiaryApplication.guardian_last_name,
                DiaryApplication.guardian_first_name,
                DiaryApplication.guardian_middle_name,
                DiaryApplication.relation,
                DiaryApplication.passport_presented,
                DiaryApplication.names_checked,
                DiaryApplication.pd_consent,
                DiaryApplication.status,
                DiaryApplication.reject_reason,
                DiaryApplication.created_at,
                DiaryApplication.updated_at,
            ],
        )
        chosen = rng.sample(sorted(self.families), min(self.spec.applications, len(self.families)))
        first_number = rng.randint(10000, 80000)
        for n, student_id in enumerate(chosen):
            status = statuses[n % len(statuses)]
            student = self.students[student_id]
            guardian_id, relation, guardian = rng.choice(self.families[student_id])
            submitted = self.today - dt.timedelta(days=rng.randint(1, 40))
            received = dt.datetime.combine(submitted, dt.time(rng.randint(9, 17), rng.randrange(60)))
            student_last, reason, checked = student.last, None, True
            if status == "rejected":
                # The printed application misspells the child's surname: the check caught it.
                student_last = student.last[:-1] + ("о" if student.last[-1] != "о" else "а")
                reason = (
                    f"Фамилия ребёнка в заявлении («{student_last}») не совпадает с данными школы "
                    f"(«{student.last}»). Родителю предложено исправить заявление на портале."
                )
                checked = False
            # Portal numbers are unique: a random start, then consecutive.
            number = f"ЭД-{submitted:%Y}-{first_number + n:05d}" if status in ("entered", "granted") else None
            rows.add(
                number,
                submitted,
                self.admin_id,
                student_id,
                guardian_id,
                student_last,
                student.first,
                student.middle,
                guardian.last,
                guardian.first,
                guardian.middle,
                relation,
                True,
                checked,
                True,
                status,
                reason,
                received,
                received + dt.timedelta(days=rng.randint(0, 3)),
            )
        rows.flush()
        self.counts["applications"] = rows.count
