"""The demo school: a believable Russian school to try the product on, or a large one to measure it.

`seed("small", today=…)` builds what `make run` shows: grades 5–7 with two classes each, a dozen teachers,
a timetable, lessons planned from 1 September up to today and the last few weeks of the journal
filled in. `seed("large", today=…)` builds a finished year of a big school (60 classes, 1,500 students,
120 teachers) for benchmarks. Both are deterministic for a given `today` and random seed, and both
write with bulk inserts in one transaction: a failure leaves the database as it was.
"""

import datetime as dt
import os
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from werkzeug.security import generate_password_hash

from app.db import db, is_sqlite
from app.models import (
    Absence,
    ChangeCounter,
    ClassGroup,
    DiaryApplication,
    Enrollment,
    Guardian,
    Holiday,
    Lesson,
    Mark,
    Role,
    SchoolSettings,
    SchoolYear,
    Staff,
    StaffRole,
    Student,
    StudentGuardian,
    Subject,
    TeachingAssignment,
    Term,
    TimetableSlot,
    WorkType,
)
from app.services import audit, roles
from app.services.errors import DomainError

DEMO_PASSWORD = "demo"
# The demo logins and their roles, in the order the README lists them.
DEMO_LOGINS = {
    "admin": ("admin",),
    "deputy": ("deputy",),
    "head": ("head",),
    "teacher": ("teacher",),
    "classteacher": ("teacher",),
}
SIZES = ("small", "large")
DEFAULT_SEED = 20262027
CHUNK = 1000

SCHOOL_NAME = "ГБОУ «Демонстрационная средняя школа № 1» Санкт-Петербурга"
SCHOOL_CODE = "000001"

# --- names ------------------------------------------------------------------------------------

SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов Волков "
    "Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев Макаров Никитин "
    "Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв Сергеев Кузьмин Фролов "
    "Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков Сорокин Виноградов Ковалёв "
    "Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов "
    "Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов Карпов Власов Мельников Денисов "
    "Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев Фомин Чернов Абрамов Мартынов "
    "Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков Маслов Родионов Коновалов Лазарев "
    "Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров Наумов Потапов Журавлёв Овчинников "
    "Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов Никифоров Грачёв Котов Гришин "
    "Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев Акимов Кондратьев Бирюков "
    "Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов Юдин Белоусов Нестеров "
    "Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронов Аксёнов Мальцев Логинов "
    "Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников Хохлов Жданов "
    "Покровский Вишневский Островский Успенский Добровольский Яблонский Троицкий Белецкий "
    "Шевченко Бондаренко Ткаченко Кравченко Лысенко Ким Черных Седых"
).split()

# Male first names with the patronymics they give: (name, son's, daughter's).
MALE_NAMES = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Вадим", "Вадимович", "Вадимовна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Георгий", "Георгиевич", "Георгиевна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Егор", "Егорович", "Егоровна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Роман", "Романович", "Романовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Тимофей", "Тимофеевич", "Тимофеевна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
)
BOYS = (
    "Александр Максим Артём Михаил Иван Даниил Дмитрий Кирилл Андрей Егор Никита Илья Алексей Матвей "
    "Тимофей Роман Владимир Ярослав Фёдор Георгий Константин Лев Марк Глеб Арсений Степан Семён "
    "Савелий Макар Платон Тимур Мирон Богдан Евгений Денис Павел"
).split()
GIRLS = (
    "Анастасия Мария Анна Виктория Екатерина Софья Алиса Полина Дарья Варвара Александра Елизавета "
    "Ксения Ульяна Арина Вероника Милана Валерия Таисия Василиса Ева Кира Маргарита Алёна Яна Злата "
    "Вера Есения Агата Стефания Юлия Диана"
).split()
WOMEN = (
    "Елена Ольга Наталья Татьяна Ирина Светлана Юлия Анна Екатерина Марина Мария Анастасия Евгения "
    "Ксения Людмила Надежда Вера Галина Оксана Алла Виктория Дарья Кристина Алина Валентина Лариса "
    "Нина Тамара Жанна Инна"
).split()

TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)


def feminine_surname(surname: str) -> str:
    """Return the feminine form of a Russian surname (Иванов → Иванова, Покровский → Покровская)."""
    if surname.endswith(("ский", "цкий")):
        return surname[:-2] + "ая"
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname


def transliterate(text: str) -> str:
    """Spell Russian text in Latin letters for a login name."""
    return "".join(TRANSLIT.get(ch, ch).replace("_", "") for ch in text.lower())


# --- the curriculum ---------------------------------------------------------------------------

# (name, short name) in the order subjects appear in lists.
SUBJECTS = (
    ("Русский язык", "Рус. яз."),
    ("Литературное чтение", "Лит. чтение"),
    ("Литература", "Лит-ра"),
    ("Английский язык", "Англ. яз."),
    ("Математика", "Матем."),
    ("Алгебра", "Алгебра"),
    ("Геометрия", "Геометрия"),
    ("Вероятность и статистика", "Вер. и стат."),
    ("Информатика", "Информ."),
    ("История", "История"),
    ("Обществознание", "Общ."),
    ("География", "Геогр."),
    ("Биология", "Биол."),
    ("Физика", "Физика"),
    ("Химия", "Химия"),
    ("Окружающий мир", "Окр. мир"),
    ("Основы религиозных культур и светской этики", "ОРКСЭ"),
    ("Основы духовно-нравственной культуры народов России", "ОДНКНР"),
    ("Музыка", "Музыка"),
    ("Изобразительное искусство", "ИЗО"),
    ("Труд (технология)", "Труд"),
    ("Физическая культура", "Физ-ра"),
    ("Основы безопасности и защиты Родины", "ОБЗР"),
)


def _hours(text: str) -> dict[str, int]:
    """Parse 'Short name 5, Other 2' (short names of SUBJECTS) into {full name: hours}."""
    by_short = {short: name for name, short in SUBJECTS}
    result = {}
    for item in text.split(","):
        short, _, hours = item.strip().rpartition(" ")
        result[by_short[short]] = int(hours)
    return result


# Weekly hours per grade (after the federal basic curriculum); grades 1–6 study five days a
# week, grades 7–11 six.
SENIOR_10_11 = (
    "Рус. яз. 3, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 3, Вер. и стат. 1, Информ. 2, "
    "История 3, Общ. 2, Геогр. 1, Биол. 2, Физика 3, Химия 2, ОБЗР 1, Физ-ра 3"
)
CURRICULUM = {
    1: _hours("Рус. яз. 5, Лит. чтение 4, Матем. 4, Окр. мир 2, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"),
    2: _hours("Рус. яз. 5, Лит. чтение 4, Англ. яз. 2, Матем. 4, Окр. мир 2, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"),
    3: _hours("Рус. яз. 5, Лит. чтение 4, Англ. яз. 2, Матем. 4, Окр. мир 2, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"),
    4: _hours(
        "Рус. яз. 5, Лит. чтение 3, Англ. яз. 2, Матем. 4, Окр. мир 2, ОРКСЭ 1, Музыка 1, ИЗО 1, Труд 1, Физ-ра 3"
    ),
    5: _hours(
        "Рус. яз. 5, Лит-ра 3, Англ. яз. 3, Матем. 5, История 2, Геогр. 1, Биол. 1, ОДНКНР 1, "
        "Музыка 1, ИЗО 1, Труд 2, Физ-ра 3, Информ. 1"
    ),
    6: _hours(
        "Рус. яз. 6, Лит-ра 3, Англ. яз. 3, Матем. 5, История 2, Общ. 1, Геогр. 1, Биол. 1, "
        "ОДНКНР 1, Музыка 1, ИЗО 1, Труд 2, Физ-ра 3"
    ),
    7: _hours(
        "Рус. яз. 5, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 2, Вер. и стат. 1, Информ. 1, "
        "История 2, Общ. 1, Геогр. 2, Биол. 1, Физика 2, Музыка 1, ИЗО 1, Труд 2, Физ-ра 3"
    ),
    8: _hours(
        "Рус. яз. 4, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 2, Вер. и стат. 1, Информ. 1, "
        "История 2, Общ. 1, Геогр. 2, Биол. 2, Физика 2, Химия 2, Музыка 1, Труд 1, ОБЗР 1, Физ-ра 3"
    ),
    9: _hours(
        "Рус. яз. 4, Лит-ра 3, Англ. яз. 4, Алгебра 4, Геометрия 2, Вер. и стат. 1, Информ. 1, "
        "История 3, Общ. 1, Геогр. 2, Биол. 2, Физика 3, Химия 2, ОБЗР 1, Физ-ра 3"
    ),
    10: _hours(SENIOR_10_11),
    11: _hours(SENIOR_10_11),
}


def days_per_week(grade: int) -> int:
    """Return how many days a week a grade studies."""
    return 5 if grade <= 6 else 6


# A primary class (grades 1–4) has one teacher for everything except these specialists' subjects.
PRIMARY_SPECIALIST = {"Английский язык", "Музыка", "Физическая культура"}
PRIMARY = "primary"
# Departments of subject teachers: each teacher belongs to one and teaches all its subjects.
DEPARTMENTS = {
    "math": ("Математика", "Алгебра", "Геометрия", "Вероятность и статистика"),
    "ru": ("Русский язык", "Литература"),
    "en": ("Английский язык",),
    "hist": (
        "История",
        "Обществознание",
        "Основы духовно-нравственной культуры народов России",
        "Основы религиозных культур и светской этики",
    ),
    "nature": ("География", "Биология"),
    "phys": ("Физика", "Информатика"),
    "chem": ("Химия",),
    "arts": ("Музыка", "Изобразительное искусство"),
    "tech": ("Труд (технология)",),
    "pe": ("Физическая культура", "Основы безопасности и защиты Родины"),
}
DEPARTMENT_OF = {subject: dept for dept, subjects in DEPARTMENTS.items() for subject in subjects}


def department(grade: int, subject: str) -> str:
    """Return who teaches a subject in a grade: the primary class's teacher or a department."""
    if grade <= 4 and subject not in PRIMARY_SPECIALIST:
        return PRIMARY
    return DEPARTMENT_OF[subject]


# --- the journal's closed lists and texts -----------------------------------------------------

# (name, weight): the work types of the school's marks.
WORK_TYPES = (
    ("ответ на уроке", 1),
    ("домашняя работа", 1),
    ("самостоятельная работа", 2),
    ("проверочная работа", 2),
    ("диктант", 3),
    ("контрольная работа", 3),
    ("зачёт", 2),
)

TOPICS = {
    "Русский язык": (
        "Повторение изученного в начальной школе",
        "Звуки и буквы. Фонетический разбор",
        "Орфограммы в корне слова",
        "Правописание безударных гласных в корне",
        "Состав слова. Морфемный разбор",
        "Имя существительное как часть речи",
        "Склонение имён существительных",
        "Имя прилагательное. Правописание окончаний",
        "Глагол. Спряжение глаголов",
        "Словосочетание и предложение",
        "Однородные члены предложения",
        "Прямая речь. Знаки препинания",
        "Сложное предложение",
        "Развитие речи: изложение",
        "Работа над ошибками",
    ),
    "Литературное чтение": (
        "Устное народное творчество. Сказки",
        "А. С. Пушкин. Сказка о рыбаке и рыбке",
        "Л. Н. Толстой. Рассказы для детей",
        "Стихи о природе: Ф. И. Тютчев, А. А. Фет",
        "И. А. Крылов. Басни",
        "Н. Н. Носов. Живая шляпа",
        "В. Ю. Драгунский. Денискины рассказы",
        "К. Г. Паустовский. Кот-ворюга",
        "Внеклассное чтение",
    ),
    "Литература": (
        "Мифы и легенды",
        "Русские народные сказки",
        "И. А. Крылов. Басни",
        "А. С. Пушкин. Лирика",
        "М. Ю. Лермонтов. Бородино",
        "Н. В. Гоголь. Вечера на хуторе близ Диканьки",
        "И. С. Тургенев. Муму",
        "Н. А. Некрасов. Стихотворения",
        "Л. Н. Толстой. Кавказский пленник",
        "А. П. Чехов. Рассказы",
        "Развитие речи: сочинение",
        "Внеклассное чтение",
    ),
    "Английский язык": (
        "My family",
        "My school day",
        "Present Simple",
        "Present Continuous",
        "Free time and hobbies",
        "Past Simple: regular and irregular verbs",
        "Food and drinks",
        "Travelling",
        "Weather and seasons",
        "Reading: a story",
        "Listening and speaking practice",
        "Revision",
    ),
    "Математика": (
        "Натуральные числа и действия с ними",
        "Порядок действий в выражениях",
        "Делимость чисел",
        "Обыкновенные дроби",
        "Сложение и вычитание дробей",
        "Умножение и деление дробей",
        "Десятичные дроби",
        "Проценты",
        "Решение текстовых задач",
        "Площадь и периметр",
        "Координатная прямая",
        "Повторение и обобщение",
    ),
    "Алгебра": (
        "Выражения с переменными",
        "Линейное уравнение с одной переменной",
        "Степень с натуральным показателем",
        "Одночлены и многочлены",
        "Формулы сокращённого умножения",
        "Разложение на множители",
        "Линейная функция и её график",
        "Системы линейных уравнений",
        "Квадратные уравнения",
        "Неравенства",
        "Решение задач",
    ),
    "Геометрия": (
        "Начальные геометрические сведения",
        "Треугольники. Признаки равенства",
        "Параллельные прямые",
        "Сумма углов треугольника",
        "Четырёхугольники",
        "Площади фигур",
        "Теорема Пифагора",
        "Подобные треугольники",
        "Окружность",
        "Решение задач",
    ),
    "Вероятность и статистика": (
        "Представление данных: таблицы и диаграммы",
        "Среднее арифметическое и медиана",
        "Случайные события",
        "Вероятность события",
        "Комбинаторика: правило умножения",
        "Графы",
        "Практическая работа",
    ),
    "Информатика": (
        "Информация и информационные процессы",
        "Устройство компьютера",
        "Файлы и папки",
        "Кодирование информации",
        "Алгоритмы и исполнители",
        "Программирование: ветвления",
        "Программирование: циклы",
        "Электронные таблицы",
        "Компьютерные сети",
        "Практическая работа",
    ),
    "История": (
        "Древний Египет",
        "Древняя Греция",
        "Древний Рим",
        "Русь в IX–XII веках",
        "Смутное время",
        "Пётр I и его реформы",
        "Эпоха дворцовых переворотов",
        "Отечественная война 1812 года",
        "Великие реформы Александра II",
        "Работа с историческими источниками",
        "Повторение",
    ),
    "Обществознание": (
        "Человек и общество",
        "Семья и семейные отношения",
        "Школа и образование",
        "Право и закон",
        "Экономика и её роль в жизни общества",
        "Гражданин и государство",
        "Практикум",
    ),
    "География": (
        "План местности и карта",
        "Градусная сеть",
        "Литосфера",
        "Гидросфера",
        "Атмосфера и климат",
        "Природные зоны",
        "Население мира",
        "Практическая работа с картой",
    ),
    "Биология": (
        "Биология — наука о живой природе",
        "Клеточное строение организмов",
        "Царство растений",
        "Строение цветкового растения",
        "Царство животных",
        "Грибы и лишайники",
        "Лабораторная работа",
        "Экосистемы",
    ),
    "Физика": (
        "Физические величины и измерения",
        "Строение вещества",
        "Механическое движение",
        "Плотность вещества",
        "Силы в природе",
        "Давление",
        "Работа и мощность",
        "Тепловые явления",
        "Электрические явления",
        "Лабораторная работа",
    ),
    "Химия": (
        "Предмет химии. Вещества",
        "Атомы и молекулы",
        "Периодическая система Д. И. Менделеева",
        "Химические реакции",
        "Кислород и водород",
        "Растворы",
        "Классы неорганических соединений",
        "Практическая работа",
    ),
    "Окружающий мир": (
        "Природа и мы",
        "Времена года",
        "Растения нашего края",
        "Животные нашего края",
        "Человек и его здоровье",
        "Безопасность на дороге",
        "Наш город — Санкт-Петербург",
        "Россия — наша Родина",
    ),
    "Основы религиозных культур и светской этики": (
        "Россия — наша Родина",
        "Культура и мораль",
        "Добро и зло",
        "Дружба и взаимопомощь",
        "Семья и семейные ценности",
        "Праздники народов России",
    ),
    "Основы духовно-нравственной культуры народов России": (
        "Мир культуры",
        "Культурное наследие народов России",
        "Семья — хранитель ценностей",
        "Труд и мастерство",
        "Праздники и традиции",
    ),
    "Музыка": (
        "Музыка вокруг нас",
        "Русская народная песня",
        "П. И. Чайковский. Детский альбом",
        "Музыкальные инструменты",
        "Опера и балет",
        "Музыка Санкт-Петербурга",
        "Хоровое пение",
    ),
    "Изобразительное искусство": (
        "Рисунок с натуры",
        "Цвет и цветовой круг",
        "Пейзаж",
        "Натюрморт",
        "Портрет",
        "Народные промыслы: гжель и хохлома",
        "Архитектура Санкт-Петербурга",
    ),
    "Труд (технология)": (
        "Техника безопасности в мастерской",
        "Работа с бумагой и картоном",
        "Материалы и инструменты",
        "Проектная работа",
        "Обработка древесины",
        "Основы робототехники",
        "Кулинария",
    ),
    "Физическая культура": (
        "Лёгкая атлетика: бег на 30 м",
        "Прыжки в длину с места",
        "Волейбол: передача мяча",
        "Баскетбол: ведение мяча",
        "Гимнастика",
        "Лыжная подготовка",
        "Подвижные игры",
        "Сдача нормативов",
    ),
    "Основы безопасности и защиты Родины": (
        "Безопасность в быту",
        "Пожарная безопасность",
        "Безопасность на дорогах",
        "Первая помощь",
        "Чрезвычайные ситуации",
        "Основы обороны государства",
    ),
}
# Subjects that rarely give homework.
NO_HOMEWORK = {
    "Физическая культура",
    "Музыка",
    "Изобразительное искусство",
    "Труд (технология)",
    "Основы безопасности и защиты Родины",
}
HOMEWORK_STYLE = {
    "Русский язык": "exercise",
    "Английский язык": "exercise",
    "Литературное чтение": "reading",
    "Литература": "reading",
    "Математика": "problems",
    "Алгебра": "problems",
    "Геометрия": "problems",
    "Вероятность и статистика": "problems",
}
# The work type of a subject's control work.
CONTROL_WORK = {
    "Русский язык": "диктант",
    "Физическая культура": "зачёт",
    "Музыка": "проверочная работа",
    "Изобразительное искусство": "проверочная работа",
    "Труд (технология)": "проверочная работа",
}

STAFF_POSTS = {
    "admin": ("Соколова", "Ирина", "Владимировна"),
    "deputy": ("Миронова", "Елена", "Сергеевна"),
    "head": ("Васильев", "Андрей", "Николаевич"),
}

# Mark and absence rates, tuned so the large school gives about 600,000 marks and 200,000 absences.
ILLNESS_START = 0.022  # chance per school day that a healthy student falls ill
ILLNESS_DAYS = (3, 8)  # how many school days an illness lasts
FAMILY_ABSENCE = 0.002  # chance per school day of a day missed for family reasons
SINGLE_ABSENCE = 0.035  # chance per lesson of one missed lesson
SINGLE_REASONS = (("late", 4), ("unexcused", 3), ("excused", 3))
SUBSTITUTION_RATE = 0.01  # share of held lessons given by a substitute teacher


@dataclass(frozen=True)
class DemoSpec:
    """What to build: classes, their size, teachers, and how much of the year to fill."""

    size: str
    classes: tuple[tuple[int, str], ...]
    class_size: tuple[int, int]
    teachers: int
    full_year: bool
    filled_weeks: int
    transfers: int
    applications: int


def spec_for(size: str, scale: float = 1.0) -> DemoSpec:
    """Return the spec of a demo size; `scale` (0–1] shrinks the large school for tests."""
    if size not in SIZES:
        raise DomainError(f"Неизвестный размер демо-школы «{size}»: допустимо {', '.join(SIZES)}.", "size")
    if size == "small":
        classes = tuple((grade, letter) for grade in (5, 6, 7) for letter in "АБ")
        return DemoSpec("small", classes, (23, 27), 12, False, 4, 3, 6)
    if not 0 < scale <= 1:
        raise DomainError("Масштаб большой демо-школы должен быть больше 0 и не больше 1.", "scale")
    letters = {grade: "АБВГДЕ" if grade <= 9 else "АБВ" for grade in range(1, 12)}
    all_classes = [(grade, letter) for grade in range(1, 12) for letter in letters[grade]]
    count = max(1, round(len(all_classes) * scale))
    # Evenly spaced through the grades: the middle of each of `count` equal stretches.
    picked = tuple(all_classes[((2 * i + 1) * len(all_classes)) // (2 * count)] for i in range(count))
    return DemoSpec(
        "large",
        picked,
        (24, 26),
        max(1, round(120 * scale)),
        True,
        0,
        max(1, round(15 * scale)),
        max(4, round(75 * scale)),
    )


# --- the calendar -----------------------------------------------------------------------------


def school_year_start(today: dt.date) -> int:
    """Return the calendar year in which the school year around `today` began (June–August: the one just ended)."""
    return today.year if today.month >= 9 else today.year - 1


def year_bounds(start_year: int) -> tuple[dt.date, dt.date]:
    """Return the first and last day of the school year that begins in `start_year`."""
    return dt.date(start_year, 9, 1), dt.date(start_year + 1, 5, 31)


def _monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def holidays_for(start_year: int) -> list[tuple[str, dt.date, dt.date]]:
    """Return the vacations and public holidays of a school year as (name, first day, last day)."""
    autumn = _monday_of(dt.date(start_year, 10, 27))
    spring = _monday_of(dt.date(start_year + 1, 3, 24))
    vacations = [
        ("Осенние каникулы", autumn, autumn + dt.timedelta(days=8)),
        ("Зимние каникулы", dt.date(start_year, 12, 29), dt.date(start_year + 1, 1, 11)),
        ("Весенние каникулы", spring, spring + dt.timedelta(days=8)),
    ]
    public = [
        ("День народного единства", dt.date(start_year, 11, 4)),
        ("День защитника Отечества", dt.date(start_year + 1, 2, 23)),
        ("Международный женский день", dt.date(start_year + 1, 3, 8)),
        ("Праздник Весны и Труда", dt.date(start_year + 1, 5, 1)),
        ("День Победы", dt.date(start_year + 1, 5, 9)),
    ]
    result = list(vacations)
    for name, day in public:
        if any(first <= day <= last for _, first, last in vacations):
            continue
        if day.isoweekday() == 7:
            # A holiday falling on Sunday moves to Monday.
            day += dt.timedelta(days=1)
            name += " (перенос выходного дня)"
        result.append((name, day, day))
    return sorted(result, key=lambda h: h[1])


def quarters(start: dt.date, end: dt.date, holidays) -> list[tuple[dt.date, dt.date]]:
    """Return the four quarters: the stretches between the start, the three vacations and the end."""
    vacations = [(first, last) for name, first, last in holidays if name.endswith("каникулы")]
    bounds, begin = [], start
    for first, last in vacations:
        bounds.append((begin, first - dt.timedelta(days=1)))
        begin = last + dt.timedelta(days=1)
    bounds.append((begin, end))
    return bounds


def school_days(start: dt.date, end: dt.date, holidays) -> list[dt.date]:
    """Return the days from start to end that are neither Sundays nor holidays."""
    off = set()
    for _, first, last in holidays:
        day = first
        while day <= last:
            off.add(day)
            day += dt.timedelta(days=1)
    days, day = [], start
    while day <= end:
        if day.isoweekday() != 7 and day not in off:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


# --- the report -------------------------------------------------------------------------------


@dataclass
class SeedReport:
    """What a seeding built and how long it took."""

    size: str
    year: str
    today: dt.date
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Return the report as Russian lines for the console."""
        labels = {
            "staff": "сотрудников",
            "teachers": "учителей",
            "classes": "классов",
            "subjects": "предметов",
            "students": "учеников",
            "guardians": "родителей",
            "enrollments": "зачислений",
            "assignments": "строк нагрузки",
            "timetable": "уроков в расписании",
            "lessons": "уроков",
            "held": "проведённых уроков",
            "marks": "отметок",
            "absences": "пропусков",
            "applications": "заявлений родителей",
        }
        out = [f"Демо-школа ({self.size}), {self.year} учебный год, «сегодня» {self.today:%d.%m.%Y}:"]
        out += [f"  {labels.get(k, k)}: {v:,}".replace(",", " ") for k, v in self.counts.items()]
        out.append(f"  время: {self.seconds:.1f} с")
        return out


def _existing() -> list[str]:
    """Return 'what: how many' for each kind of school record already in the database."""
    found = [
        (label, model.select().count())
        for label, model in (
            ("сотрудники", Staff),
            ("ученики", Student),
            ("учебные годы", SchoolYear),
            ("классы", ClassGroup),
            ("предметы", Subject),
        )
    ]
    return [f"{label}: {count}" for label, count in found if count]


def is_empty() -> bool:
    """Tell whether the database holds no school yet (no staff, students, years, classes or subjects)."""
    return not _existing()


def ensure_empty() -> None:
    """Refuse to seed a database that already holds a school."""
    found = _existing()
    if found:
        raise DomainError(
            "База данных не пуста (" + ", ".join(found) + "). Демо-школа создаётся только в пустой базе; "
            "для запуска без повторного заполнения используйте --if-empty."
        )


def seed(
    size: str = "small",
    *,
    today: dt.date,
    scale: float = 1.0,
    random_seed: int = DEFAULT_SEED,
    source: str = "system",
) -> SeedReport:
    """Build the demo school of `size` in an empty database, in one transaction, audited once."""
    spec = spec_for(size, scale)
    started = time.perf_counter()
    with db.atomic():
        ensure_empty()
        roles.sync_builtin()
        builder = _Builder(spec, today, random.Random(random_seed))
        report = builder.build()
        audit.record(
            None,
            "seed-demo",
            None,
            model="DemoSchool",
            object_repr=f"Демо-школа ({spec.size})",
            after={"size": spec.size, "scale": scale, "year": report.year, "today": today.isoformat(), **report.counts},
            source=source,
        )
        _sync_sequences()
    if is_sqlite():
        # Fold the write-ahead log back so the file size tells the real size of the database.
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    report.seconds = time.perf_counter() - started
    return report


# Tables whose ids the builder assigns itself (so rows can point at each other without reading back).
_EXPLICIT_ID_MODELS = (SchoolYear, Term, Subject, Staff, ClassGroup, Student, Guardian, Lesson)


def _sync_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids the builder assigned."""
    if is_sqlite():
        return
    for model in _EXPLICIT_ID_MODELS:
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)'
        )


class _Inserter:
    """Collect rows of one model and write them CHUNK rows per multi-row INSERT.

    The statement text is built once per chunk length: peewee's insert_many would spend most of
    a large seeding composing SQL value by value. Values still go through each field's db_value,
    as parameters. Exported models get their change numbers as one reserved block per chunk.
    Columns the builder does not fill but which carry a default are filled with it, so a column
    added later by a migration does not break the seeding. With hold=True rows wait for an
    explicit flush (for rows that point at others not written yet).
    """

    def __init__(self, model, fields, hold: bool = False):
        self.model = model
        self.hold = hold
        named = {f.name for f in fields}
        self.defaults = [
            f
            for f in model._meta.sorted_fields
            if f.name not in named and f.name != "change_no" and not f.primary_key and f.default is not None
        ]
        self.exported = "change_no" in model._meta.fields
        self.fields = list(fields) + self.defaults + ([model.change_no] if self.exported else [])
        self.rows: list[tuple] = []
        self.count = 0
        self._sql: dict[int, str] = {}

    def add(self, *values) -> None:
        self.rows.append(values)
        if not self.hold and len(self.rows) >= CHUNK:
            self.flush()

    def _statement(self, n: int) -> str:
        if n not in self._sql:
            database = db.obj
            quote = database.quote  # the engine's pair of identifier quotes, e.g. '""'
            columns = ", ".join(f"{quote[0]}{f.column_name}{quote[1]}" for f in self.fields)
            row = "(" + ", ".join([database.param] * len(self.fields)) + ")"
            table = f"{quote[0]}{self.model._meta.table_name}{quote[1]}"
            self._sql[n] = f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * n)}"
        return self._sql[n]

    def flush(self) -> None:
        convert = [f.db_value for f in self.fields]
        while self.rows:
            chunk, self.rows = self.rows[:CHUNK], self.rows[CHUNK:]
            first = ChangeCounter.reserve(len(chunk)) if self.exported else 0
            params = []
            for i, values in enumerate(chunk):
                row = values + tuple(f.default() if callable(f.default) else f.default for f in self.defaults)
                if self.exported:
                    row += (first + i,)
                params.extend(c(v) for c, v in zip(convert, row, strict=True))
            db.execute_sql(self._statement(len(chunk)), params)
            self.count += len(chunk)


class _Ids:
    """Hand out ids for tables whose rows the builder links itself."""

    def __init__(self):
        self.next = {}

    def take(self, model) -> int:
        if model not in self.next:
            top = model.select(model.id).order_by(model.id.desc()).limit(1).scalar()
            self.next[model] = (top or 0) + 1
        value = self.next[model]
        self.next[model] = value + 1
        return value


@dataclass
class _Person:
    id: int
    last: str
    first: str
    middle: str
    female: bool


@dataclass
class _Teacher:
    id: int
    person: _Person
    dept: str
    login: str
    hours: int = 0
    classes: list = field(default_factory=list)


@dataclass
class _Class:
    id: int
    grade: int
    letter: str
    curriculum: dict
    teachers: dict = field(default_factory=dict)  # subject -> teacher id
    class_teacher: int | None = None
    roster: list = field(default_factory=list)  # (student id, first day, last day or None)
    slots: dict = field(default_factory=dict)  # weekday -> [(number, subject, teacher id)]

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


class _Builder:
    """Build one demo school: every table in dependency order, remembering ids to link rows."""

    def __init__(self, spec: DemoSpec, today: dt.date, rng: random.Random):
        self.spec = spec
        self.rng = rng
        self.ids = _Ids()
        start_year = school_year_start(today)
        self.start, self.end = year_bounds(start_year)
        self.year_name = f"{start_year}/{start_year + 1}"
        self.today = min(max(today, self.start), self.end)
        self.holidays = holidays_for(start_year)
        self.counts: dict[str, int] = {}
        self.used_logins: set[str] = set(DEMO_LOGINS)
        self.now = dt.datetime.combine(self.today, dt.time(8, 0))

    def build(self) -> SeedReport:
        self._school()
        self._subjects()
        self._work_types()
        self._staff()
        self._classes()
        self._students()
        self._timetable()
        self._journal()
        self._applications()
        return SeedReport(self.spec.size, self.year_name, self.today, counts=self.counts)

    # --- school, year, subjects, work types ---------------------------------------------------

    def _school(self) -> None:
        settings = SchoolSettings.load()
        settings.name, settings.school_code = SCHOOL_NAME, SCHOOL_CODE
        settings.save()
        self.year_id = self.ids.take(SchoolYear)
        years = _Inserter(
            SchoolYear,
            [SchoolYear.id, SchoolYear.name, SchoolYear.start_date, SchoolYear.end_date, SchoolYear.is_current],
        )
        years.add(self.year_id, self.year_name, self.start, self.end, True)
        years.flush()
        self.terms = []
        terms = _Inserter(
            Term, [Term.id, Term.year, Term.kind, Term.number, Term.start_date, Term.end_date, Term.closed]
        )
        for number, (first, last) in enumerate(quarters(self.start, self.end, self.holidays), start=1):
            term_id = self.ids.take(Term)
            self.terms.append((term_id, first, last))
            terms.add(term_id, self.year_id, "quarter", number, first, last, last < self.today)
        terms.flush()
        holidays = _Inserter(Holiday, [Holiday.year, Holiday.name, Holiday.start_date, Holiday.end_date])
        for name, first, last in self.holidays:
            holidays.add(self.year_id, name, first, last)
        holidays.flush()

    def _subjects(self) -> None:
        used = {s for grade_hours in self._curricula().values() for s in grade_hours}
        self.subject_ids = {}
        rows = _Inserter(Subject, [Subject.id, Subject.name, Subject.short_name])
        for name, short in SUBJECTS:
            if name in used:
                self.subject_ids[name] = self.ids.take(Subject)
                rows.add(self.subject_ids[name], name, short)
        rows.flush()
        self.counts["subjects"] = rows.count

    def _curricula(self) -> dict[int, dict[str, int]]:
        return {grade: CURRICULUM[grade] for grade in sorted({g for g, _ in self.spec.classes})}

    def _work_types(self) -> None:
        # A later migration may already hold the list: reuse rows by name.
        self.work_types = {}
        for name, weight in WORK_TYPES:
            row, _ = WorkType.get_or_create(name=name, defaults={"default_weight": weight})
            self.work_types[name] = (row.id, row.default_weight)

    # --- people -------------------------------------------------------------------------------

    def _person(self, model, female: bool, last=None, first=None, middle=None, adult=True) -> _Person:
        rng = self.rng
        last = last or rng.choice(SURNAMES)
        if female:
            last = feminine_surname(last)
        if first is None:
            if adult:
                first = rng.choice(WOMEN if female else [name for name, _, _ in MALE_NAMES])
            else:
                first = rng.choice(GIRLS if female else BOYS)
        if middle is None:
            _, son, daughter = rng.choice(MALE_NAMES)
            middle = daughter if female else son
        return _Person(self.ids.take(model), last, first, middle, female)

    def _login_for(self, person: _Person) -> str:
        base = f"{transliterate(person.last)}.{transliterate(person.first[0] + person.middle[0])}"
        login, n = base, 1
        while login in self.used_logins:
            n += 1
            login = f"{base}{n}"
        self.used_logins.add(login)
        return login

    def _staff(self) -> None:
        """Create the administration and the teachers, with departments sized to the hours."""
        self.staff_rows: list[tuple[_Person, str, tuple[str, ...]]] = []
        for login, (last, first, middle) in STAFF_POSTS.items():
            person = _Person(self.ids.take(Staff), last, first, middle, last.endswith("а"))
            self.staff_rows.append((person, login, DEMO_LOGINS[login]))
            if login == "admin":
                self.admin_id = person.id
        self.teachers: list[_Teacher] = []
        for dept, count in self._department_sizes().items():
            for _ in range(count):
                # Most Russian school teachers are women; physical education is the exception.
                female = self.rng.random() < (0.45 if dept == "pe" else 0.85)
                person = self._person(Staff, female)
                self.teachers.append(_Teacher(person.id, person, dept, ""))

    def _department_sizes(self) -> dict[str, int]:
        """Share the teachers among the departments by weekly hours (one per primary class)."""
        hours: dict[str, int] = defaultdict(int)
        primary = 0
        for grade, _ in self.spec.classes:
            if grade <= 4:
                primary += 1
            for subject, h in CURRICULUM[grade].items():
                dept = department(grade, subject)
                if dept != PRIMARY:
                    hours[dept] += h
        depts = [d for d in DEPARTMENTS if hours[d]]
        sizes = {d: 1 for d in depts}
        # Highest-average method: each next teacher goes where the load per teacher is highest.
        for _ in range(max(0, self.spec.teachers - primary - len(depts))):
            busiest = max(depts, key=lambda d: (hours[d] / sizes[d], -depts.index(d)))
            sizes[busiest] += 1
        if primary:
            sizes = {PRIMARY: primary, **sizes}
        return sizes

    def _write_staff(self) -> None:
        demo_hash = {login: generate_password_hash(DEMO_PASSWORD) for login in DEMO_LOGINS}
        rows = _Inserter(
            Staff,
            [
                Staff.id,
                Staff.login,
                Staff.password_hash,
                Staff.last_name,
                Staff.first_name,
                Staff.middle_name,
                Staff.email,
                Staff.active,
                Staff.portal_uid,
                Staff.created_at,
            ],
        )
        role_ids = {r.code: r.id for r in Role.select()}
        staff_roles = _Inserter(StaffRole, [StaffRole.staff, StaffRole.role])
        for n, (person, login, role_codes) in enumerate(self.staff_rows):
            uid = self._portal_uid() if login in self.uid_logins else None
            rows.add(
                person.id,
                login,
                demo_hash.get(login, ""),
                person.last,
                person.first,
                person.middle,
                f"{login.replace('.', '_')}@school.example" if n % 3 else None,
                True,
                uid,
                self.now - dt.timedelta(days=400),
            )
            for code in role_codes:
                staff_roles.add(person.id, role_ids[code])
        rows.flush()
        staff_roles.flush()
        self.counts["staff"] = rows.count
        self.counts["teachers"] = len(self.teachers)

    def _portal_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # --- classes and teaching assignments -----------------------------------------------------

    def _classes(self) -> None:
        self.classes = [
            _Class(self.ids.take(ClassGroup), grade, letter, CURRICULUM[grade]) for grade, letter in self.spec.classes
        ]
        by_dept = defaultdict(list)
        for teacher in self.teachers:
            by_dept[teacher.dept].append(teacher)
        for cls in self.classes:
            for dept in dict.fromkeys(department(cls.grade, s) for s in cls.curriculum):
                pool = by_dept[dept]
                if dept == PRIMARY:
                    # One primary teacher per class, and they lead it.
                    teacher = next(t for t in pool if not t.classes)
                    cls.class_teacher = teacher.id
                else:
                    teacher = min(pool, key=lambda t: (t.hours, pool.index(t)))
                hours = sum(h for s, h in cls.curriculum.items() if department(cls.grade, s) == dept)
                teacher.hours += hours
                teacher.classes.append(cls)
                for subject in cls.curriculum:
                    if department(cls.grade, subject) == dept:
                        cls.teachers[subject] = teacher.id
        self._choose_demo_teachers()
        self._write_staff()
        rows = _Inserter(
            ClassGroup, [ClassGroup.id, ClassGroup.year, ClassGroup.grade, ClassGroup.letter, ClassGroup.class_teacher]
        )
        for cls in self.classes:
            rows.add(cls.id, self.year_id, cls.grade, cls.letter, cls.class_teacher)
        rows.flush()
        self.counts["classes"] = rows.count
        assignments = _Inserter(
            TeachingAssignment,
            [
                TeachingAssignment.year,
                TeachingAssignment.teacher,
                TeachingAssignment.class_group,
                TeachingAssignment.subject,
            ],
        )
        for cls in self.classes:
            for subject, teacher_id in cls.teachers.items():
                assignments.add(self.year_id, teacher_id, cls.id, self.subject_ids[subject])
        assignments.flush()
        self.counts["assignments"] = assignments.count

    def _choose_demo_teachers(self) -> None:
        """Pick the `teacher` login (many classes, leads none) and class teachers for grades 5–11."""
        specialists = [t for t in self.teachers if t.dept != PRIMARY]
        preference = list(DEPARTMENTS)
        demo_teacher = min(
            specialists, key=lambda t: (preference.index(t.dept), -len(t.classes), self.teachers.index(t))
        )
        leading = {cls.class_teacher for cls in self.classes if cls.class_teacher}
        for cls in self.classes:
            if cls.class_teacher:
                continue
            taught = [t for t in specialists if cls in t.classes and t is not demo_teacher and t.id not in leading]
            others = [t for t in specialists if t is not demo_teacher and t.id not in leading]
            candidates = taught or others
            if candidates:
                chosen = max(
                    candidates,
                    key=lambda t: (
                        sum(h for s, h in cls.curriculum.items() if cls.teachers.get(s) == t.id),
                        -self.teachers.index(t),
                    ),
                )
                cls.class_teacher = chosen.id
                leading.add(chosen.id)
        senior = [cls for cls in self.classes if cls.grade >= 5 and cls.class_teacher]
        led = (senior or [cls for cls in self.classes if cls.class_teacher])[0]
        for teacher in self.teachers:
            if teacher is demo_teacher:
                teacher.login = "teacher"
            elif teacher.id == led.class_teacher:
                teacher.login = "classteacher"
            else:
                teacher.login = self._login_for(teacher.person)
            self.staff_rows.append((teacher.person, teacher.login, ("teacher",)))
        # Every other teacher has handed in a portal UID; the demo `teacher` has not yet.
        self.uid_logins = {t.login for i, t in enumerate(self.teachers) if i % 2 == 1 and t.login != "teacher"}
        self.uid_logins.add("classteacher")

    # --- students, guardians, enrollments -------------------------------------------------------

    def _birth_date(self, grade: int) -> dt.date:
        first = dt.date(self.start.year - grade - 6, 9, 1)
        return first + dt.timedelta(days=self.rng.randrange(365))

    def _students(self) -> None:
        rng = self.rng
        self.student_rows = _Inserter(
            Student, [Student.id, Student.last_name, Student.first_name, Student.middle_name, Student.birth_date]
        )
        self.guardian_rows = _Inserter(
            Guardian,
            [
                Guardian.id,
                Guardian.last_name,
                Guardian.first_name,
                Guardian.middle_name,
                Guardian.phone,
                Guardian.email,
            ],
        )
        self.link_rows = _Inserter(
            StudentGuardian, [StudentGuardian.student, StudentGuardian.guardian, StudentGuardian.relation], hold=True
        )
        self.families: dict[int, list[tuple[int, str, _Person]]] = {}
        self.students: dict[int, _Person] = {}
        self.ability: dict[int, float] = {}
        self.households = []  # (surname, mother, father or None, father's names), shared by siblings
        for cls in self.classes:
            for _ in range(rng.randint(*self.spec.class_size)):
                student_id = self._student(cls.grade, sibling=rng.random() < 0.05)
                cls.roster.append([student_id, self.start, None])
        self._transfers()
        # Guardians before the links that point at them and at the students.
        self.student_rows.flush()
        self.guardian_rows.flush()
        self.link_rows.flush()
        enrollments = _Inserter(
            Enrollment, [Enrollment.student, Enrollment.class_group, Enrollment.start_date, Enrollment.end_date]
        )
        for cls in self.classes:
            for student_id, first, last in cls.roster:
                enrollments.add(student_id, cls.id, first, last)
        enrollments.flush()
        self.counts.update(
            students=self.student_rows.count, guardians=self.guardian_rows.count, enrollments=enrollments.count
        )

    def _student(self, grade: int, sibling: bool) -> int:
        """Add a student with their mother (and usually father); a sibling shares a household already made."""
        rng = self.rng
        if sibling and self.households:
            household = rng.choice(self.households)
        else:
            household = self._household()
            self.households.append(household)
        surname, mother, father, father_names = household
        female = rng.random() < 0.5
        _, son, daughter = father_names
        person = self._person(Student, female, last=surname, middle=daughter if female else son, adult=False)
        self.students[person.id] = person
        self.student_rows.add(person.id, person.last, person.first, person.middle, self._birth_date(grade))
        self.ability[person.id] = min(4.9, max(2.6, rng.gauss(3.9, 0.55)))
        parents = [(mother.id, "mother", mother)] + ([(father.id, "father", father)] if father else [])
        self.families[person.id] = parents
        for guardian_id, relation, _ in parents:
            self.link_rows.add(person.id, guardian_id, relation)
        return person.id

    def _household(self):
        rng = self.rng
        surname = rng.choice(SURNAMES)
        father_names = rng.choice(MALE_NAMES)
        mother = self._person(Guardian, True, last=surname)
        email = None
        if rng.random() < 0.6:
            email = f"{transliterate(mother.first)}.{transliterate(mother.last)}@mail.example"
        self.guardian_rows.add(mother.id, mother.last, mother.first, mother.middle, self._phone(), email)
        father = None
        if rng.random() < 0.7:
            father = self._person(Guardian, False, last=surname, first=father_names[0])
            self.guardian_rows.add(father.id, father.last, father.first, father.middle, self._phone(), None)
        return surname, mother, father, father_names

    def _phone(self) -> str:
        r = self.rng
        return f"+7 (9{r.randint(0, 99):02d}) {r.randint(0, 999):03d}-{r.randint(0, 99):02d}-{r.randint(0, 99):02d}"

    def _transfers(self) -> None:
        """Move a few students to a parallel class mid-year; a few leave and newcomers take their places."""
        rng = self.rng
        last_day = self.end if self.spec.full_year else self.today
        span = (last_day - self.start).days
        if span < 20:
            return
        for n in range(self.spec.transfers):
            day = self.start + dt.timedelta(days=rng.randint(10, span - 5))
            source = rng.choice(self.classes)
            mates = [c for c in self.classes if c.grade == source.grade and c is not source]
            entry = rng.choice([e for e in source.roster if e[1] == self.start and e[2] is None])
            entry[2] = day - dt.timedelta(days=1)
            if n % 3 != 2 and mates:
                rng.choice(mates).roster.append([entry[0], day, None])
            else:
                source.roster.append([self._student(source.grade, sibling=False), day, None])

    # --- the timetable ------------------------------------------------------------------------

    def _timetable(self) -> None:
        """Lay out each class's week so no class and no teacher has two lessons at once."""
        busy: set[tuple[int, int, int]] = set()  # (teacher, weekday, number)
        rows = _Inserter(
            TimetableSlot,
            [
                TimetableSlot.class_group,
                TimetableSlot.weekday,
                TimetableSlot.lesson_number,
                TimetableSlot.subject,
                TimetableSlot.teacher,
                TimetableSlot.valid_from,
                TimetableSlot.valid_to,
            ],
        )
        for cls in self.classes:
            days = self._spread(cls)
            for weekday, subjects in days.items():
                placed = self._order_day(cls, weekday, subjects, busy)
                cls.slots[weekday] = placed
                for number, subject, teacher_id in placed:
                    busy.add((teacher_id, weekday, number))
                    rows.add(cls.id, weekday, number, self.subject_ids[subject], teacher_id, self.start, self.end)
        rows.flush()
        self.busy = busy
        self.counts["timetable"] = rows.count

    def _spread(self, cls: _Class) -> dict[int, list[str]]:
        """Share a class's weekly hours among its days, each subject on as many different days as it can."""
        n_days = days_per_week(cls.grade)
        total = sum(cls.curriculum.values())
        capacity = {d: total // n_days + (1 if d <= total % n_days else 0) for d in range(1, n_days + 1)}
        days = {d: [] for d in range(1, n_days + 1)}
        order = sorted(cls.curriculum.items(), key=lambda item: (-item[1], item[0]))
        for subject, hours in order:
            for _ in range(hours):
                free = [d for d in days if len(days[d]) < capacity[d]]
                fewest = min(days[d].count(subject) for d in free)
                choices = [d for d in free if days[d].count(subject) == fewest]
                most_room = max(capacity[d] - len(days[d]) for d in choices)
                choices = [d for d in choices if capacity[d] - len(days[d]) == most_room]
                days[self.rng.choice(choices)].append(subject)
        return days

    def _order_day(self, cls: _Class, weekday: int, subjects: list[str], busy) -> list[tuple[int, str, int]]:
        """Give the day's lessons numbers at which their teachers are free (a class may start at lesson 2 or 3)."""
        lessons = [(s, cls.teachers[s]) for s in subjects]
        self.rng.shuffle(lessons)
        for first in (1, 2, 3):
            numbers = list(range(first, first + len(lessons)))
            found = self._place(lessons, numbers, weekday, busy, [])
            if found is not None:
                return found
        raise RuntimeError(f"Не удалось составить расписание класса {cls.name} на день {weekday}.")

    def _place(self, lessons, numbers, weekday, busy, placed):
        if not numbers:
            return placed
        number = numbers[0]
        tried = set()
        for i, (subject, teacher_id) in enumerate(lessons):
            if (teacher_id, weekday, number) in busy or subject in tried:
                continue
            tried.add(subject)
            found = self._place(
                lessons[:i] + lessons[i + 1 :], numbers[1:], weekday, busy, placed + [(number, subject, teacher_id)]
            )
            if found is not None:
                return found
        return None

    # --- the journal ----------------------------------------------------------------------------

    def _term_of(self, day: dt.date) -> int | None:
        for term_id, first, last in self.terms:
            if first <= day <= last:
                return term_id
        return None

    def _journal(self) -> None:
        """Plan lessons from the timetable and fill the held ones with topics, marks and absences."""
        plan_until = self.end if self.spec.full_year else self.today
        fill_from = (
            self.start
            if self.spec.full_year
            else max(self.start, self.today - dt.timedelta(weeks=self.spec.filled_weeks))
        )
        fill_until = self.end if self.spec.full_year else self.today - dt.timedelta(days=1)
        days = school_days(self.start, plan_until, self.holidays)
        absent_days = self._absent_days(days)
        lessons = _Inserter(
            Lesson,
            [
                Lesson.id,
                Lesson.class_group,
                Lesson.subject,
                Lesson.term,
                Lesson.date,
                Lesson.number,
                Lesson.planned_teacher,
                Lesson.teacher,
                Lesson.topic,
                Lesson.homework,
                Lesson.held,
                Lesson.orphaned,
                Lesson.version,
                Lesson.updated_at,
                Lesson.updated_by,
            ],
        )
        marks = _Inserter(
            Mark, [Mark.lesson, Mark.student, Mark.value, Mark.work_type, Mark.weight, Mark.created_by, Mark.created_at]
        )
        absences = _Inserter(Absence, [Absence.lesson, Absence.student, Absence.reason])
        substituting: set[tuple[int, dt.date, int]] = set()
        held = 0
        for cls in self.classes:
            counter: dict[str, int] = defaultdict(int)
            pending_marks, pending_absences = [], []
            for day in days:
                weekday = day.isoweekday()
                for number, subject, planned in cls.slots.get(weekday, ()):
                    lesson_id = self.ids.take(Lesson)
                    k = counter[subject]
                    counter[subject] += 1
                    if not fill_from <= day <= fill_until:
                        lessons.add(
                            lesson_id,
                            cls.id,
                            self.subject_ids[subject],
                            self._term_of(day),
                            day,
                            number,
                            planned,
                            planned,
                            None,
                            None,
                            False,
                            False,
                            1,
                            dt.datetime.combine(self.start, dt.time(7, 0)),
                            None,
                        )
                        continue
                    teacher = self._substitute(cls, subject, planned, day, number, substituting)
                    at = dt.datetime.combine(day, dt.time(14, 30)) + dt.timedelta(minutes=self.rng.randrange(300))
                    topics = TOPICS[subject]
                    lessons.add(
                        lesson_id,
                        cls.id,
                        self.subject_ids[subject],
                        self._term_of(day),
                        day,
                        number,
                        planned,
                        teacher,
                        topics[k % len(topics)],
                        self._homework(subject, k),
                        True,
                        False,
                        1,
                        at,
                        teacher,
                    )
                    held += 1
                    present = []
                    for student_id, first, last in cls.roster:
                        if day < first or (last is not None and day > last):
                            continue
                        reason = absent_days.get((student_id, day))
                        if reason is None and self.rng.random() < SINGLE_ABSENCE:
                            reason = self._weighted(SINGLE_REASONS)
                        if reason is None:
                            present.append(student_id)
                        else:
                            pending_absences.append((lesson_id, student_id, reason))
                    if cls.grade > 1:  # first-graders are not given marks
                        for student_id, value, work_type in self._marks(subject, k, present):
                            wt_id, weight = self.work_types[work_type]
                            pending_marks.append(
                                (
                                    lesson_id,
                                    student_id,
                                    value,
                                    wt_id,
                                    weight,
                                    teacher,
                                    dt.datetime.combine(day, dt.time(8 + number, 40)),
                                )
                            )
            # Lessons first: marks and absences point at them.
            lessons.flush()
            for row in pending_marks:
                marks.add(*row)
            for row in pending_absences:
                absences.add(*row)
        lessons.flush()
        marks.flush()
        absences.flush()
        self.counts.update(lessons=lessons.count, held=held, marks=marks.count, absences=absences.count)

    def _absent_days(self, days: list[dt.date]) -> dict[tuple[int, dt.date], str]:
        """Decide which whole school days each student misses: illnesses of several days, family reasons."""
        rng = self.rng
        result = {}
        for student_id in self.students:
            i = 0
            while i < len(days):
                if rng.random() < ILLNESS_START:
                    for day in days[i : i + rng.randint(*ILLNESS_DAYS)]:
                        result[(student_id, day)] = "illness"
                    i += ILLNESS_DAYS[1] + 1
                    continue
                if rng.random() < FAMILY_ABSENCE:
                    result[(student_id, days[i])] = "excused"
                i += 1
        return result

    def _weighted(self, choices) -> str:
        values, weights = zip(*choices, strict=True)
        return self.rng.choices(values, weights)[0]

    def _substitute(self, cls: _Class, subject: str, planned: int, day: dt.date, number: int, substituting: set) -> int:
        """Return who gives the lesson: now and then a free colleague substitutes for the planned teacher."""
        if self.rng.random() >= SUBSTITUTION_RATE:
            return planned
        weekday = day.isoweekday()
        dept = department(cls.grade, subject)
        colleagues = [t.id for t in self.teachers if t.id != planned and (t.dept == dept or dept == PRIMARY)]
        free = [t for t in colleagues if (t, weekday, number) not in self.busy and (t, day, number) not in substituting]
        if not free:
            return planned
        chosen = self.rng.choice(free)
        substituting.add((chosen, day, number))
        return chosen

    def _homework(self, subject: str, k: int) -> str | None:
        rng = self.rng
        if subject in NO_HOMEWORK or rng.random() < 0.2:
            return None
        style = HOMEWORK_STYLE.get(subject, "paragraph")
        if style == "exercise":
            return f"Упр. {rng.randint(10, 400)}, с. {rng.randint(5, 180)}"
        if style == "problems":
            first = rng.randint(1, 900)
            return f"№ {first}, {first + rng.randint(1, 4)}, {first + rng.randint(5, 9)}"
        if style == "reading":
            return f"Прочитать с. {rng.randint(10, 200)}–{rng.randint(201, 240)}, ответить на вопросы"
        return f"§ {k // 2 + 1}, вопросы {rng.randint(1, 3)}–{rng.randint(4, 7)}"

    def _marks(self, subject: str, k: int, present: list[int]):
        """Return (student, value, work type) for one lesson: a test for everybody, or a few answers."""
        rng = self.rng
        if k % 8 == 7:
            work_type, takers = CONTROL_WORK.get(subject, "контрольная работа"), present
        elif k % 5 == 2:
            work_type = "самостоятельная работа" if k % 2 else "проверочная работа"
            takers = present
        else:
            work_type = None
            takers = []
        marks = []
        if work_type:
            for student_id in takers:
                if rng.random() < 0.95:
                    marks.append((student_id, self._value(student_id, work_type), work_type))
            return marks
        for student_id in rng.sample(present, min(len(present), rng.randint(3, 8))):
            marks.append((student_id, self._value(student_id, "ответ на уроке"), "ответ на уроке"))
        if subject not in NO_HOMEWORK:
            for student_id in rng.sample(present, min(len(present), rng.randint(1, 3))):
                marks.append((student_id, self._value(student_id, "домашняя работа"), "домашняя работа"))
        return marks

    def _value(self, student_id: int, work_type: str) -> str:
        score = round(self.ability[student_id] + self.rng.gauss(0, 0.7))
        if work_type == "зачёт":
            return "зч" if score >= 3 else "нз"
        return str(min(5, max(2, score)))

    # --- parents' applications ----------------------------------------------------------------

    def _applications(self) -> None:
        """Record a few parents' applications for e-diary access, in every status."""
        rng = self.rng
        statuses = ("granted", "granted", "entered", "accepted", "accepted", "rejected")
        rows = _Inserter(
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


def database_size_bytes() -> int | None:
    """Return the SQLite database file's size (with its write-ahead log), or None for other engines."""
    if not is_sqlite():
        return None
    path = db.obj.database
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def format_size(size: int) -> str:
    """Return a byte count in megabytes for people."""
    return f"{size / (1024 * 1024):.1f} МБ"
