"""The admin panel: one Admin built inside the factory, views registered area by area."""

from flask_admin import Admin
from flask_admin.theme import Bootstrap4Theme

from admin_views import (
    account,
    applications,
    archive,
    audit,
    backups,
    class_page,
    exports,
    groups,
    home,
    imports,
    journal,
    oversight,
    plans,
    privacy,
    reports,
    school,
    staff,
    students,
    timetable,
    year_transition,
)
from app.permissions import UnknownPermission, ensure_known
from app.security import csp_nonce

# The attributes through which a view names the permissions that open it.
PERMISSION_ATTRIBUTES = ("required_permission", "manage_permission", "codes")


def check_view_permissions(views) -> None:
    """Raise UnknownPermission when a view names a permission code that is not in Perm (a typo would deny silently)."""
    for view in views:
        for name in PERMISSION_ATTRIBUTES:
            value = getattr(view, name, None)
            for code in (value,) if value is None or isinstance(value, str) else value:
                if code is not None:
                    try:
                        ensure_known(code)
                    except UnknownPermission as exc:
                        raise UnknownPermission(f"{type(view).__name__}.{name}: {exc}") from None


def init_admin(app) -> Admin:
    """Build the panel at the site root and register every area's views."""
    admin = Admin(
        app,
        name="Электронный журнал",
        url="/",
        index_view=home.HomeView(name="Главная", url="/", template="home.html"),
        theme=Bootstrap4Theme(swatch="cerulean", base_template="layout.html"),
        # Templates print `admin_csp_nonce_attribute` from this: the CSP allows those inline scripts only.
        csp_nonce_generator=csp_nonce,
    )
    # Order here is the order of the menu.
    journal.register(admin)
    plans.register(admin)
    oversight.register(admin)
    archive.register(admin)
    class_page.register(admin)
    reports.register(admin)
    school.register(admin)
    year_transition.register(admin)
    plans.register_curriculum(admin)
    groups.register(admin)
    timetable.register(admin)
    imports.register(admin)
    backups.register(admin)
    students.register(admin)
    applications.register(admin)
    staff.register(admin)
    exports.register(admin)
    audit.register(admin)
    privacy.register(admin)
    account.register(admin)
    check_view_permissions(admin._views)
    # Every panel page loads the shared behaviours that replace inline handlers (the CSP forbids them).
    shared_js = f"{app.static_url_path}/ejournal.js"
    for view in admin._views:
        view.extra_js = [*(view.extra_js or []), shared_js]
        if view.endpoint == "imports":
            view.extra_js.append(f"{app.static_url_path}/imports.js")
    return admin
