"""The home page: what needs the person who opens it."""

from flask import current_app, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.routing import BuildError

from admin_views.base import SecureIndexView
from admin_views.oversight import finding_url
from app.clock import app_clock
from app.formats import month_label
from app.services import dashboard, journal_check


class HomeView(SecureIndexView):
    @expose("/")
    def index(self):
        notices = dashboard.notices_for(current_user, app_clock(current_app))
        links = []
        for notice in notices:
            try:
                links.append((notice, url_for(notice.endpoint)))
            except BuildError:  # that view is not registered
                links.append((notice, None))
        clock = app_clock(current_app)
        me = current_user._get_current_object()
        oversight = dashboard.oversight_home(me, clock)
        return self.render(
            "home.html",
            notices=links,
            teacher=dashboard.teacher_home(me, clock),
            oversight=oversight,
            backup=dashboard.backup_home(me, clock),
            charts=dashboard.chart_data(oversight) if oversight else None,
            finding_url=finding_url,
            status_labels=journal_check.STATUS_LABELS,
            today=clock.today(),
            month_label=month_label,
        )
