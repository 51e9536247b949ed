"""The ejournal application factory."""

from pathlib import Path

# Flask is imported by the factory, not here: the workers and the CLI's export paths import
# `app.…` modules without a web application and keep its ~15 MB out of their memory.


def _load_config(app, config) -> None:
    """Apply a config class (default Config) and then a dict of overrides."""
    from app.config import Config

    base = Config
    overrides = {}
    if isinstance(config, dict):
        overrides = config
    elif config is not None:
        base = config
    values = {k: getattr(base, k) for k in dir(base) if k.isupper()}
    values.update(overrides)
    values = Config.finalize(values)
    app.config.update(values)


def create_app(config=None):
    """Build the web application: config, database, login, translations, admin panel, CLI."""
    from flask import Flask
    from jinja2 import StrictUndefined

    app = Flask(__name__)
    from app.web import IdConverter

    # Every `<int:…>` segment is bounded to the database's integer range (DESIGN 10).
    app.url_map.converters["int"] = IdConverter
    _load_config(app, config)
    Path(app.config["INSTANCE_PATH"]).mkdir(parents=True, exist_ok=True)
    if app.config.get("TESTING"):
        app.jinja_env.undefined = StrictUndefined

    from app.db import init_db, register_request_hooks
    from app.settings import Settings

    # Built once: views pass the settings (folder, Redis, the school's key) and the one clock
    # (DESIGN 9) to services.
    settings = Settings.from_config(app.config)
    app.extensions["settings"] = settings
    app.extensions["clock"] = settings.clock

    init_db(app.config["DATABASE_URL"], pool=app.config["DATABASE_POOL"])
    register_request_hooks(app)

    from app.extensions import babel, csrf, login_manager

    babel.init_app(app, locale_selector=lambda: "ru", timezone_selector=lambda: app.config["SCHOOL_TIMEZONE"])
    csrf.init_app(app)

    from app import auth, security

    auth.init_app(app, login_manager)
    # Security headers on every response; TRUSTED_PROXIES wraps the app in werkzeug's ProxyFix.
    security.init_app(app)

    from admin_views import init_admin

    init_admin(app)

    from app import cli

    cli.init_app(app)

    from app import web

    web.init_app(app)
    return app
