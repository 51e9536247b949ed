"""What the portal should hold for a school year, worked out from the journal independently of the builder.

Written with plain model queries and the foundation's access.uid_scope, so a fidelity test
compares the receiver's store against the journal, not the builder against itself.
"""

import datetime as dt

from app.models import (
    Absence,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    FinalMark,
    GroupMembership,
    Guardian,
    HomeworkFile,
    Journal,
    Lesson,
    LessonPlanRow,
    Mark,
    PlanRow,
    Staff,
    Student,
    StudentGuardian,
    StudyGroup,
    Subject,
    TeachingAssignment,
    Term,
    ThematicPlan,
)
from app.services import access, finals, groups


def _date(value):
    return value.isoformat() if value is not None else None


def _scope(staff, year_id) -> dict:
    found = access.uid_scope(staff)
    # A journal is the one of its group and subject.
    journals = sorted(
        Journal.get((Journal.group == group.id) & (Journal.subject == subject.id)).id
        for group, subject in found["subjects"]
        if group.year_id == year_id
    )
    classes = sorted(class_group.id for class_group in found["classes"] if class_group.year_id == year_id)
    return {"journals": journals, "classes": classes}


def journal_state(year) -> dict:
    """Return {(type, id): fields} of everything the portal should hold for `year`."""
    state = {
        ("school_year", year.id): {
            "name": year.name,
            "start_date": _date(year.start_date),
            "end_date": _date(year.end_date),
        }
    }
    for term in Term.select().where(Term.year == year.id):
        state[("term", term.id)] = {
            "year": term.year_id,
            "kind": term.kind,
            "number": term.number,
            "start_date": _date(term.start_date),
            "end_date": _date(term.end_date),
            "closed": term.closed,
        }
    for subject in Subject.select():
        state[("subject", subject.id)] = {"name": subject.name, "short_name": subject.short_name}
    for staff in Staff.select():
        state[("staff", staff.id)] = {
            "last_name": staff.last_name,
            "first_name": staff.first_name,
            "middle_name": staff.middle_name,
            "active": staff.active,
            "portal_uid": staff.portal_uid,
            "scope": _scope(staff, year.id),
        }
    for group in ClassGroup.select().where(ClassGroup.year == year.id):
        state[("class_group", group.id)] = {
            "year": group.year_id,
            "grade": group.grade,
            "letter": group.letter,
            "class_teacher": group.class_teacher_id,
        }
    for student in Student.select():
        state[("student", student.id)] = {
            "last_name": student.last_name,
            "first_name": student.first_name,
            "middle_name": student.middle_name,
            "birth_date": _date(student.birth_date),
        }
    for guardian in Guardian.select():
        state[("guardian", guardian.id)] = {
            "last_name": guardian.last_name,
            "first_name": guardian.first_name,
            "middle_name": guardian.middle_name,
        }
    for link in StudentGuardian.select():
        state[("student_guardian", link.id)] = {
            "student": link.student_id,
            "guardian": link.guardian_id,
            "relation": link.relation,
        }
    for application in DiaryApplication.select().where(DiaryApplication.status == "granted"):
        state[("diary_access", application.id)] = {
            "student": application.student_id,
            "guardian": application.guardian_id,
            "relation": application.relation,
            "application_number": application.portal_number,
            "submitted_on": _date(application.submitted_on),
        }
    in_year = ClassGroup.select(ClassGroup.id).where(ClassGroup.year == year.id)
    for enrollment in Enrollment.select().where(Enrollment.class_group.in_(in_year)):
        state[("enrollment", enrollment.id)] = {
            "student": enrollment.student_id,
            "class_group": enrollment.class_group_id,
            "start_date": _date(enrollment.start_date),
            "end_date": _date(enrollment.end_date),
        }
    for group in StudyGroup.select().where(StudyGroup.year == year.id):
        state[("study_group", group.id)] = {
            "year": group.year_id,
            "kind": group.kind,
            "class_group": group.class_group_id,
            "split": group.split,
            "name": group.name,
            "grade": group.grade,
        }
    groups_of_year = StudyGroup.select(StudyGroup.id).where(StudyGroup.year == year.id)
    for membership in GroupMembership.select().where(GroupMembership.group.in_(groups_of_year)):
        state[("group_membership", membership.id)] = {
            "group": membership.group_id,
            "student": membership.student_id,
            "start_date": _date(membership.start_date),
            "end_date": _date(membership.end_date),
        }
    journals = Journal.select(Journal.id).where(Journal.year == year.id)
    for journal in Journal.select().where(Journal.year == year.id):
        state[("journal", journal.id)] = {
            "year": journal.year_id,
            "group": journal.group_id,
            "subject": journal.subject_id,
            "kind": journal.kind,
        }
    for assignment in TeachingAssignment.select().where(TeachingAssignment.journal.in_(journals)):
        state[("teaching_assignment", assignment.id)] = {
            "journal": assignment.journal_id,
            "teacher": assignment.teacher_id,
        }
    lessons = Lesson.select(Lesson.id).where(Lesson.journal.in_(journals))
    for lesson in Lesson.select().where(Lesson.journal.in_(journals)):
        state[("lesson", lesson.id)] = {
            "date": _date(lesson.date),
            "number": lesson.number,
            "journal": lesson.journal_id,
            "term": lesson.term_id,
            "planned_teacher": lesson.planned_teacher_id,
            "teacher": lesson.teacher_id,
            "replacement_subject": lesson.replacement_subject_id,
            "topic": lesson.topic,
            "homework": lesson.homework,
            "held": lesson.held,
            "cancelled": lesson.cancelled,
            "cancel_reason": lesson.cancel_reason,
        }
    for file in HomeworkFile.select().where(HomeworkFile.lesson.in_(lessons)):
        state[("homework_file", file.id)] = {
            "lesson": file.lesson_id,
            "name": file.original_name,
            "size": file.size,
            "sha256": file.sha256,
            "content_type": file.content_type,
        }
    for mark in Mark.select().where(Mark.lesson.in_(lessons)):
        state[("mark", mark.id)] = {
            "lesson": mark.lesson_id,
            "student": mark.student_id,
            "value": mark.value,
            "work_type": mark.work_type.name,
            # A JSON number: 1, 1.2, 1.25 (read back as an int or a float).
            "weight": float(mark.weight),
            "comment": mark.comment,
            "change_reason": mark.change_reason,
        }
    for absence in Absence.select().where(Absence.lesson.in_(lessons)):
        state[("absence", absence.id)] = {
            "lesson": absence.lesson_id,
            "student": absence.student_id,
            "reason": absence.reason,
        }
    for final in FinalMark.select().where(FinalMark.year == year.id):
        state[("final_mark", final.id)] = {
            "year": final.year_id,
            "student": final.student_id,
            "subject": final.subject_id,
            "kind": final.kind,
            "term": final.term_id,
            "journal": final.journal_id,
            "value": final.value,
            "change_reason": final.change_reason,
        }
    for row in PlanRow.select(PlanRow, ThematicPlan).join(ThematicPlan).where(ThematicPlan.journal.in_(journals)):
        state[("plan_row", row.id)] = {
            "journal": row.plan.journal_id,
            "position": row.position,
            "number": row.number,
            "section": row.section,
            "topic": row.topic,
            "hours": row.hours,
            "planned_date": _date(row.planned_date),
            "homework": row.homework,
            "skipped": row.skipped,
        }
    for link in LessonPlanRow.select().where(LessonPlanRow.lesson.in_(lessons)):
        state[("lesson_plan_row", link.id)] = {"lesson": link.lesson_id, "plan_row": link.plan_row_id}
    return state


def merged(spans) -> list:
    """Return date spans as their union: sorted, overlapping and adjacent ones joined."""
    result = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1] + dt.timedelta(days=1):
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def group_members(year) -> dict:
    """Return {group id: {student id: [member spans]}} of the year's groups, as the school counts members."""
    year_groups = list(StudyGroup.select().where(StudyGroup.year == year.id))
    found = groups.member_spans(year_groups, year.start_date, year.end_date)
    return {
        group_id: {student: merged(spans) for student, spans in members.items()} for group_id, members in found.items()
    }


def opened_journals(year) -> dict:
    """Return {staff id: ids of the year's journals their UID opens}, as the school opens them (R7.2).

    Their own journals and, for a class teacher, every journal with a student of their class.
    """
    return {
        staff.id: {
            journal_id
            for (journal_id,) in Journal.select(Journal.id)
            .where((Journal.year == year.id) & Journal.id.in_(access.open_journal_ids(staff)))
            .tuples()
        }
        for staff in Staff.select()
    }


def class_final_marks(year, viewer) -> dict:
    """Return {(student, subject, kind, term id or None): value} of the year's finals, as the classes' pages show them.

    Read through the «Итоговые отметки» page of every class of the year (`finals.class_finals`)
    for `viewer` (someone who sees every class: the deputy), as the school's staff see them.
    """
    found = {}
    for class_group in finals.class_groups_of(viewer, year):
        page = finals.class_finals(viewer, class_group.id)
        for (student_id, subject_id, key), value in page.values.items():
            kind, _, term = key.partition("-")
            found[(student_id, subject_id, kind, int(term) if term else None)] = value
    return found


def differences(expected: dict, held: dict) -> dict:
    """Return what is missing, extra or different between two states (empty when they agree)."""
    missing = sorted(set(expected) - set(held))
    extra = sorted(set(held) - set(expected))
    different = sorted(k for k in set(expected) & set(held) if expected[k] != held[k])
    return {
        name: value
        for name, value in (
            ("missing", missing),
            ("extra", extra),
            ("different", [(k, expected[k], held[k]) for k in different]),
        )
        if value
    }
