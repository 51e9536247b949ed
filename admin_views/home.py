"""The home page: what needs the person who opens it."""

from flask import current_app, url_for
from flask_admin import expose
from flask_login import current_user
from werkzeug.routing import BuildError

from admin_views.base import SecureIndexView
from app.clock import app_clock
from app.services import dashboard


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
        return self.render("home.html", notices=links)
