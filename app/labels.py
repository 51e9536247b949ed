"""Every Russian name of a model and of a field, in one place.

Lists (their column headers and filters), forms Flask-Admin builds, the audit trail, the export
history and the "cannot delete" messages all read these: a field is named once. A view may still
name a column of its own differently (`column_labels`), and a hand-written form may word its
question at length, but a model field's name lives here.
"""

# (singular, plural) Russian names of every model; the plural names what blocks a deletion.
MODEL_NAMES: dict[str, tuple[str, str]] = {
    "Absence": ("Пропуск", "пропуски"),
    "AuditEntry": ("Запись аудита", "записи аудита"),
    "ChangeCounter": ("Счётчик изменений", "счётчики изменений"),
    "ClassGroup": ("Класс", "классы"),
    "DiaryApplication": ("Заявление родителя", "заявления родителей"),
    "Enrollment": ("Зачисление ученика", "зачисления учеников"),
    "ExportLock": ("Блокировка выгрузки", "блокировки выгрузки"),
    "ExportRun": ("Выгрузка на портал", "выгрузки на портал"),
    "ExportSettings": ("Настройки выгрузки", "настройки выгрузки"),
    "FinalMark": ("Итоговая отметка", "итоговые отметки"),
    "GroupMembership": ("Членство в группе", "записи о членстве в группах"),
    "Guardian": ("Родитель", "родители"),
    "Holiday": ("Каникулы, праздник", "каникулы и праздники"),
    "FindingDismissal": ("Снятое замечание проверки", "снятые замечания проверки"),
    "HomeworkExpectation": ("Обязательное домашнее задание", "обязательные домашние задания"),
    "HomeworkFile": ("Файл домашнего задания", "файлы домашних заданий"),
    "Journal": ("Журнал", "журналы"),
    "JournalCheck": ("Проверка журнала", "проверки журнала"),
    "Lesson": ("Урок", "уроки"),
    "LoginAttempt": ("Попытка входа", "попытки входа"),
    "Mark": ("Отметка", "отметки"),
    "PaperComparison": ("Сверка с бумажным журналом", "сверки с бумажным журналом"),
    "Permission": ("Право доступа", "права доступа"),
    "Remark": ("Замечание", "замечания"),
    "RemarkEvent": ("Ход замечания", "ход замечаний"),
    "Role": ("Роль", "роли"),
    "RolePermission": ("Право роли", "права роли"),
    "SchoolSettings": ("Настройки школы", "настройки школы"),
    "SchoolYear": ("Учебный год", "учебные годы"),
    "Staff": ("Сотрудник", "сотрудники"),
    "StaffRole": ("Роль сотрудника", "назначения ролей сотрудникам"),
    "Student": ("Ученик", "ученики"),
    "StudentGuardian": ("Связь ученик — родитель", "связи ученик — родитель"),
    "StudyGroup": ("Группа", "группы"),
    "Subject": ("Предмет", "предметы"),
    "TeachingAssignment": ("Учебная нагрузка", "учебная нагрузка"),
    "Term": ("Учебный период", "учебные периоды"),
    "TimetableSlot": ("Урок расписания", "уроки расписания"),
    "Tombstone": ("Отметка об удалении", "отметки об удалении"),
    "WorkType": ("Вид работы", "виды работ"),
}
# Russian labels of each model's fields and of the columns its list computes, as lists, forms and
# the audit show them.
FIELDS: dict[str, dict[str, str]] = {
    "WorkType": {
        "name": "Вид работы",
        "default_weight": "Вес по умолчанию",
        "active": "Используется",
    },
    "SchoolSettings": {
        "name": "Название школы",
        "school_code": "Код школы",
        "mark_edit_days": "Срок правки отметок без причины, дней",
        "upload_max_mb": "Предельный размер файла, МБ",
        "half_year_grades": "Параллели, аттестуемые по полугодиям",
        "round_from": "Округление вверх с доли балла, сотых",
        "absence_reason_days": "Срок указания причины пропуска, дней",
        "min_marks": "Наименьшее число отметок за период",
    },
    "HomeworkExpectation": {
        "subject": "Предмет",
        "grades": "Параллели",
    },
    "JournalCheck": {
        "year": "Учебный год",
        "month": "Месяц",
        "scope_kind": "Что проверяется",
        "scope_value": "Параллель, класс или учитель",
        "opened_by": "Кто проверяет",
        "opened_at": "Начата",
        "published_at": "Опубликована",
        "published_by": "Кто опубликовал",
    },
    "FindingDismissal": {
        "key": "Код находки",
        "code": "Правило",
        "journal": "Журнал",
        "text": "Находка",
        "reason": "Почему снято",
        "check": "Проверка",
        "dismissed_by": "Кто снял",
        "dismissed_at": "Снято",
    },
    "PaperComparison": {
        "check": "Проверка",
        "journal": "Журнал",
        "done": "Сверено с бумажным",
        "note": "Заметка",
        "recorded_by": "Кто сверял",
        "recorded_at": "Когда",
    },
    "Remark": {
        "check": "Проверка",
        "assignee": "Кому",
        "journal": "Журнал",
        "lesson": "Урок",
        "rule_code": "Правило",
        "finding_key": "Код находки",
        "text": "Замечание",
        "due_date": "Срок",
        "status": "Состояние",
        "created_by": "Кто записал",
        "created_at": "Записано",
        "updated_at": "Изменено",
    },
    "RemarkEvent": {
        "remark": "Замечание",
        "status": "Состояние",
        "comment": "Комментарий",
        "actor": "Кто",
        "at": "Когда",
    },
    "SchoolYear": {
        "name": "Учебный год",
        "start_date": "Начало",
        "end_date": "Конец",
        "is_current": "Текущий",
    },
    "Term": {
        "year": "Учебный год",
        "kind": "Вид",
        "number": "Номер",
        "start_date": "Начало",
        "end_date": "Конец",
        "closed": "Закрыт",
    },
    "Holiday": {
        "year": "Учебный год",
        "name": "Название",
        "start_date": "Начало",
        "end_date": "Конец",
    },
    "ClassGroup": {
        "name": "Класс",
        "year": "Учебный год",
        "grade": "Параллель",
        "letter": "Буква",
        "class_teacher": "Классный руководитель",
        "enrolled_count": "Учеников сейчас",
    },
    "Subject": {
        "name": "Предмет",
        "short_name": "Краткое название",
    },
    "StudyGroup": {
        "year": "Учебный год",
        "kind": "Вид группы",
        "class_group": "Класс",
        "split": "Деление",
        "name": "Название",
        "grade": "Параллель",
        "member_count": "Учеников сейчас",
    },
    "GroupMembership": {
        "group": "Группа",
        "student": "Ученик",
        "start_date": "В группе с",
        "end_date": "В группе по",
    },
    "Journal": {
        "year": "Учебный год",
        "group": "Группа",
        "subject": "Предмет или курс",
        "kind": "Вид деятельности",
        "teachers": "Учителя",
    },
    "TeachingAssignment": {
        "journal": "Журнал",
        "teacher": "Учитель",
        "year": "Учебный год",
        "group": "Группа",
        "subject": "Предмет",
    },
    "TimetableSlot": {
        "journal": "Журнал",
        "group": "Группа",
        "subject": "Предмет",
        "weekday": "День недели",
        "lesson_number": "Урок №",
        "teacher": "Учитель",
        "valid_from": "Действует с",
        "valid_to": "Действует по",
    },
    "Student": {
        "last_name": "Фамилия",
        "first_name": "Имя",
        "middle_name": "Отчество",
        "birth_date": "Дата рождения",
        "notes": "Примечания",
        "current_class": "Класс сейчас",
        "guardian_links": "Родители",
    },
    "Guardian": {
        "last_name": "Фамилия",
        "first_name": "Имя",
        "middle_name": "Отчество",
        "phone": "Телефон",
        "email": "Эл. почта",
    },
    "StudentGuardian": {
        "student": "Ученик",
        "guardian": "Родитель",
        "relation": "Кем приходится",
    },
    "Enrollment": {
        "student": "Ученик",
        "class_group": "Класс",
        "class_group.year": "Учебный год",
        "start_date": "Зачислен",
        "end_date": "Выбыл",
    },
    "DiaryApplication": {
        "submitted_on": "Дата заявления",
        "portal_number": "№ на портале",
        "student": "Ученик",
        "class_name": "Класс",
        "guardian": "Родитель (законный представитель)",
        "relation": "Кем приходится",
        "status": "Статус",
        "reject_reason": "Причина отклонения",
        "received_by": "Принял(а)",
        "passport_presented": "Паспорт предъявлен",
        "names_checked": "ФИО сверены",
        "pd_consent": "Согласие на обработку ПДн",
        "created_at": "Внесено",
        "updated_at": "Изменено",
        "guardian_first_name": "Имя родителя",
        "guardian_last_name": "Фамилия родителя",
        "guardian_middle_name": "Отчество родителя",
        "student_first_name": "Имя ученика",
        "student_last_name": "Фамилия ученика",
        "student_middle_name": "Отчество ученика",
    },
    "Staff": {
        "full_name": "ФИО",
        "last_name": "Фамилия",
        "first_name": "Имя",
        "middle_name": "Отчество",
        "login": "Логин",
        "email": "Электронная почта",
        "roles": "Роли",
        "active": "Активен",
        "has_uid": "UID портала",
        "portal_uid": "UID портала",
        "created_at": "Создан",
        "confirm": "Пароль ещё раз",
        "password": "Пароль",
    },
    "Role": {
        "name": "Название",
        "code": "Код",
        "builtin": "Встроенная",
        "permissions": "Права",
    },
    "ExportRun": {
        "id": "№",
        "package_id": "Пакет",
        "kind": "Вид",
        "trigger": "Повод",
        "requested_by_name": "Кто",
        "status": "Состояние",
        "download": "Пакет",
        "created_at": "Создана",
        "started_at": "Начата",
        "finished_at": "Завершена",
        "duration": "Длительность",
        "year_name": "Учебный год",
        "change_range": "Изменения (номера)",
        "records": "Записей",
        "counts": "По видам записей",
        "bytes": "Размер",
        "sha256": "Контрольная сумма SHA-256",
        "transport": "Доставка",
        "target": "Куда",
        "attempts": "Попыток",
        "job_id": "Задание",
        "note": "Примечание",
        "error": "Ошибка",
        "slot": "Плановое время",
        "requested_by": "Кто запустил",
        "package_dir": "Каталог пакета",
        "file_path": "Файл пакета",
        "change_from": "С номера изменения",
        "change_to": "По номер изменения",
        "progress": "Выполнено",
        "total": "Всего",
        "claimed_by": "Обработчик",
    },
    "AuditEntry": {
        "at": "Когда",
        "actor_name": "Кто",
        "source": "Источник",
        "action": "Действие",
        "model": "Объект",
        "object_id": "Код записи",
        "object_repr": "Запись",
        "actor": "Кто",
        "before": "Было",
        "after": "Стало",
    },
    "ExportSettings": {
        "clear_token": "Удалить сохранённый токен",
        "daily_time": "Время ежедневной выгрузки",
        "directory": "Каталог выгрузки",
        "enabled": "Выгрузка по расписанию включена",
        "full_day": "День месяца полной выгрузки",
        "http_retries": "Повторных попыток при сбое",
        "http_retry_delay": "Пауза перед первым повтором, с",
        "http_timeout": "Ожидание ответа портала, с",
        "portal_url": "Адрес приёма на портале",
        "token": "Токен доступа портала",
        "transport": "Способ доставки",
        "updated_by_name": "Кто изменил",
        "schedule_since": "Расписание действует с",
    },
    "Mark": {
        "lesson": "Урок",
        "student": "Ученик",
        "value": "Отметка",
        "work_type": "Вид работы",
        "weight": "Вес",
        "comment": "Комментарий",
        "change_reason": "Причина изменения",
    },
    "FinalMark": {
        "year": "Учебный год",
        "student": "Ученик",
        "subject": "Предмет",
        "kind": "Вид итоговой отметки",
        "term": "Период аттестации",
        "journal": "Журнал",
        "value": "Итоговая отметка",
        "comment": "Комментарий",
        "change_reason": "Причина изменения",
        "set_by": "Кто выставил",
        "set_at": "Выставлена",
    },
    "Absence": {
        "lesson": "Урок",
        "student": "Ученик",
        "reason": "Причина пропуска",
    },
    "Lesson": {
        "journal": "Журнал",
        "term": "Учебный период",
        "date": "Дата",
        "number": "Номер урока",
        "planned_teacher": "Учитель по расписанию",
        "teacher": "Провёл(а)",
        "replacement_subject": "Предмет замены",
        "topic": "Тема урока",
        "homework": "Домашнее задание",
        "held": "Урок проведён",
        "held_at": "Отмечен проведённым",
        "cancelled": "Урок отменён",
        "cancel_reason": "Причина отмены",
        "orphaned": "Нет в расписании",
        "version": "Версия",
    },
    "Tombstone": {
        "record_type": "Вид записи",
        "record_id": "Код удалённой записи",
        "deleted_at": "Удалено",
    },
    "RolePermission": {
        "role": "Роль",
        "permission": "Право",
    },
    "StaffRole": {
        "staff": "Сотрудник",
        "role": "Роль",
    },
    "LoginAttempt": {
        "address": "Адрес",
        "success": "Вход удался",
        "at": "Когда",
    },
    "ExportLock": {
        "owner": "Кто выгружает",
        "until": "До",
        "run_id": "Выгрузка",
    },
    "HomeworkFile": {
        "lesson": "Урок",
        "original_name": "Имя файла",
        "stored_name": "Имя в хранилище",
        "content_type": "Тип файла",
        "size": "Размер, байт",
    },
}

# Labels of fields every model may have (bookkeeping columns) and of keys only audit entries hold.
SHARED_FIELDS: dict[str, str] = {
    "id": "Код записи",
    "change_no": "Номер изменения",
    "created_at": "Создано",
    "updated_at": "Изменено",
    "created_by": "Кто поставил",
    "updated_by": "Кто изменил",
    "uploaded_by": "Кто загрузил",
    "uploaded_at": "Загружен",
    "permissions": "Права",
    "roles": "Роли",
    "password": "Пароль",
    "package_id": "Пакет",
    "sha256": "Контрольная сумма SHA-256",
}


def model_name(code: str) -> str:
    """Return the Russian singular name of a model by its class name (the code itself when unknown)."""
    names = MODEL_NAMES.get(code)
    return names[0] if names else code


def model_plural(code: str) -> str:
    """Return the Russian plural name of a model, lower case (the code itself when unknown)."""
    names = MODEL_NAMES.get(code)
    return names[1] if names else code


def field_label(model_code: str, name: str) -> str | None:
    """Return the Russian label of a model's field or column, or None when none is declared.

    The model's own label comes first, then the shared bookkeeping one, then the label of a field
    named the same in another model (last_name, start_date… mean the same thing everywhere).
    """
    found = FIELDS.get(model_code, {}).get(name) or SHARED_FIELDS.get(name)
    if found:
        return found
    for own in FIELDS.values():
        if name in own:
            return own[name]
    return None


def labels_for(model_code: str, *names: str) -> dict[str, str]:
    """Return {name: label} for the given fields of a model (for a view's or form's labels)."""
    return {name: field_label(model_code, name) or name for name in names}
