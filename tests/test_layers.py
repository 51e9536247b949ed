"""The layers' import rules (DESIGN; CONVENTIONS 9-10), read from the source with `ast`.

- Services (and the queue helper, the settings and the workers) never import Flask, nor `app.config`,
  whose values are frozen at import: they take the settings, the clock and the actor as arguments.
- Services never import workers: jobs are enqueued by dotted name (`app/queue.py`).
- Views never write a model themselves: creates, updates and deletes go through a service.
- Workers and views never import each other.
"""

import ast
import subprocess
import sys
from pathlib import Path

import peewee
import pytest

import app.models

ROOT = Path(__file__).resolve().parents[1]

# Where each rule applies (files or folders, relative to the repository).
NO_FLASK = ("app/services", "app/queue.py", "app/settings.py", "workers")
NO_FROZEN_CONFIG = ("app/services", "app/queue.py", "workers")
FLASK_PACKAGES = ("flask", "flask_admin", "flask_babel", "flask_login", "flask_wtf")

# Peewee's writes: on a model class, and on a model instance.
CLASS_WRITES = {
    "create",
    "get_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "insert",
    "insert_many",
    "insert_from",
    "replace",
    "replace_many",
    "delete",
}
INSTANCE_WRITES = {"save", "delete_instance"}

# Views that still write models themselves: moving to services (issue 8). Each entry is
# (file, enclosing function, method called); remove an entry when its write has moved.
VIEW_WRITES_ALLOWED: set[tuple[str, str, str]] = set(
    # moving to services (issue 8): none left. The last ones were the base view's create/update/delete
    # (admin_views/base.py SecureModelView.create_model, update_model, delete_record) and the
    # student's guardian links (admin_views/students.py AuditedInlineList.save_related).
)


def _modules(*places: str) -> list[Path]:
    found = []
    for place in places:
        path = ROOT / place
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_names(tree: ast.Module) -> set[str]:
    """Return every module a source imports, anywhere in it (`from a import b` gives "a" and "a.b")."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _imports_any(tree: ast.Module, packages) -> list[str]:
    return sorted(name for name in imported_names(tree) if any(name == p or name.startswith(p + ".") for p in packages))


def _model_names(tree: ast.Module) -> set[str]:
    """Return the names a module binds to peewee models imported from app.models."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app.models"):
            module = __import__(node.module, fromlist=["_"])
            for alias in node.names:
                value = getattr(module, alias.name, None)
                if isinstance(value, type) and issubclass(value, peewee.Model):
                    names.add(alias.asname or alias.name)
    return names


class _Writes(ast.NodeVisitor):
    """Collect (enclosing function, method) of every model write in a module."""

    def __init__(self, models: set[str]):
        self.models = models
        self.scope: list[str] = []
        self.found: list[tuple[str, str, int]] = []

    def _visit_scope(self, node):
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_scope

    def visit_Call(self, node: ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = func.value
            on_model_class = isinstance(receiver, ast.Name) and receiver.id in self.models
            # `self.model` is the Flask-Admin view's model class.
            on_view_model = isinstance(receiver, ast.Attribute) and receiver.attr == "model"
            if func.attr in CLASS_WRITES and (on_model_class or on_view_model):
                self.found.append((".".join(self.scope) or "<module>", func.attr, node.lineno))
            # A file upload's save(path) takes a destination; a model's save() takes none.
            elif func.attr in INSTANCE_WRITES and not node.args:
                self.found.append((".".join(self.scope) or "<module>", func.attr, node.lineno))
        self.generic_visit(node)


def model_writes(path: Path) -> list[tuple[str, str, int]]:
    """Return (function, method, line) of every call that writes a model in a source file."""
    tree = _tree(path)
    visitor = _Writes(_model_names(tree))
    visitor.visit(tree)
    return visitor.found


@pytest.mark.parametrize("path", _modules(*NO_FLASK), ids=_relative)
def test_services_and_workers_do_not_import_flask(path):
    assert _imports_any(_tree(path), FLASK_PACKAGES) == [], "take the settings, the clock and the actor as arguments"


def test_an_export_job_loads_no_web_framework():
    # The work horse of an export imports the job's module alone: what it loads is memory held
    # for the whole export (werkzeug's routing, Jinja or Babel would be several megabytes).
    code = "import sys, workers.exports; print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "rq" in loaded and "peewee" in loaded
    assert loaded & {*FLASK_PACKAGES, "werkzeug", "jinja2", "babel", "wtforms", "markupsafe"} == set()


@pytest.mark.parametrize("path", _modules(*NO_FROZEN_CONFIG), ids=_relative)
def test_services_and_workers_do_not_read_settings_frozen_at_import(path):
    assert _imports_any(_tree(path), ("app.config",)) == [], "take an app.settings.Settings as an argument"


@pytest.mark.parametrize("path", _modules("app/services"), ids=_relative)
def test_services_do_not_import_workers(path):
    assert _imports_any(_tree(path), ("workers",)) == [], "enqueue jobs by dotted name through app.queue"


@pytest.mark.parametrize("path", _modules("workers"), ids=_relative)
def test_workers_do_not_import_views(path):
    assert _imports_any(_tree(path), ("admin_views",)) == []


@pytest.mark.parametrize("path", _modules("admin_views"), ids=_relative)
def test_views_do_not_import_workers(path):
    assert _imports_any(_tree(path), ("workers",)) == []


def test_views_write_models_only_through_services():
    found = set()
    for path in _modules("admin_views"):
        for function, method, line in model_writes(path):
            entry = (_relative(path), function, method)
            found.add(entry)
            assert entry in VIEW_WRITES_ALLOWED, f"{entry[0]}:{line} {function} calls .{method}(): call a service"
    stale = VIEW_WRITES_ALLOWED - found
    assert not stale, f"these writes have moved to services: remove them from VIEW_WRITES_ALLOWED: {sorted(stale)}"


# --- the rules themselves catch what they should -------------------------------------------------


def _source(tmp_path, text: str) -> Path:
    path = tmp_path / "module.py"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "import flask\n",
        "from flask import current_app\n",
        "from flask.globals import g\n",
        "def f():\n    from flask import has_app_context\n",
        "import flask_login\n",
    ],
)
def test_the_flask_rule_catches_every_form_of_import(tmp_path, text):
    assert _imports_any(_tree(_source(tmp_path, text)), FLASK_PACKAGES)


def test_the_flask_rule_leaves_other_packages_alone(tmp_path):
    text = "import flaskish\nfrom werkzeug.security import check_password_hash\nfrom app.db import db\n"
    assert _imports_any(_tree(_source(tmp_path, text)), FLASK_PACKAGES) == []


def test_the_import_rules_see_package_imports(tmp_path):
    tree = _tree(_source(tmp_path, "from app import config\nfrom workers import exports\n"))
    assert _imports_any(tree, ("app.config",)) == ["app.config"]
    assert _imports_any(tree, ("workers",)) == ["workers", "workers.exports"]


def test_the_write_rule_catches_model_writes_and_only_those(tmp_path):
    text = """
from app.models import Staff, Subject
from app.models.exports import ExportRun, TRANSPORTS


class View:
    def create_model(self, form):
        model = self.model()
        model.save()
        return model

    def delete_model(self, model):
        model.delete_instance()

    def bulk(self):
        Staff.update(is_active=False).where(Staff.id == 1).execute()
        Subject.create(name="x")
        ExportRun.delete().execute()
        self.model.insert(name="y").execute()


def innocent(upload, kwargs, path):
    upload.save(path)
    kwargs.update({"a": 1})
    TRANSPORTS.count("http")
    Staff.select().where(Staff.id == 1)
"""
    assert [(f, m) for f, m, _ in model_writes(_source(tmp_path, text))] == [
        ("View.create_model", "save"),
        ("View.delete_model", "delete_instance"),
        ("View.bulk", "update"),
        ("View.bulk", "create"),
        ("View.bulk", "delete"),
        ("View.bulk", "insert"),
    ]


def test_the_models_are_peewee_models():
    # The write rule recognises models by class; a model that were not a peewee.Model would slip by.
    assert all(issubclass(model, peewee.Model) for model in app.models.MODELS)
