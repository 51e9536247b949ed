"""The admin panel: one Admin built inside the factory, views registered area by area."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views import (
    account,
    applications,
    audit,
    exports,
    home,
    journal,
    school,
    staff,
    students,
)


def init_admin(app) -> Admin:
    """Build the panel at the site root and register every area's views."""
    admin = Admin(
        app,
        name="Электронный журнал",
        url="/",
        index_view=home.HomeView(name="Главная", url="/", template="home.html"),
        theme=Bootstrap4Theme(swatch="cerulean", base_template="layout.html"),
    )
    # Order here is the order of the menu.
    journal.register(admin)
    school.register(admin)
    students.register(admin)
    applications.register(admin)
    staff.register(admin)
    exports.register(admin)
    audit.register(admin)
    account.register(admin)
    return admin
