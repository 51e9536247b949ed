"""Hostile input on every URL of `app.url_map`, as every role: never a 500, and a refusal writes nothing.

The endpoints are discovered from the URL map, so a page added tomorrow is walked without anyone
listing it (CONVENTIONS 15b). Each role logs in through the real login form of a demo school and
sends what a hostile or careless person would: other people's and impossible ids in the path and
the query, repeated parameters, dates at the ends of the calendar, control characters, form
fields (taken from the page itself, as a browser sees them) filled with junk, and JSON bodies that
are not objects or carry numbers such as 1e400. CSRF stays on: the client sends a valid token, so
the requests reach the views.

Two tests: a deterministic walk that covers every endpoint with a fixed set of bad inputs, and a
Hypothesis test that draws endpoints and inputs at random.
"""

import datetime as dt
import json
import os
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import demo
from app.db import db
from app.ids import MAX_ID
from app.models import MODELS, LoginAttempt

TODAY = dt.date(2026, 12, 1)
ROLES = (None, "teacher", "classteacher", "deputy", "head", "admin")
# Bad values for a number or id, as text.
BAD_NUMBERS = ("0", "-1", str(MAX_ID + 1), str(2**64), "1e400", "1.5", "abc", "", " 1", "١٢")
# Bad values for a date, a month, a path or free text.
BAD_TEXTS = (
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "9999-99",
    "/%0d%0aX",
    "\r\nX",
    "//evil.example/",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\x00",
    "а" * 3000,
)
QUERY_KEYS = (
    "id",
    "page",
    "page_size",
    "sort",
    "desc",
    "search",
    "date",
    "day",
    "month",
    "next",
    "url",
    "lesson",
    "student",
    "class_id",
    "class",
    "split",
    "term",
    "flt0_0",
    "kind",
)
BAD_JSON_BODIES = (
    "[1]",
    "5",
    '"x"',
    "null",
    "{",
    '{"lesson": 1e400, "student": 1e400, "value": 5, "work_type": 1e400, "weight": 1e400}',
    '{"lesson": 9223372036854775808, "student": -1, "value": ["5"], "reason": {"a": 1}, "change_no": 1e400}',
    '{"lesson": true, "student": "1", "value": null, "weight": "heavy", "expected": [], "change_no": "x"}',
)
_FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', re.I)


def _fingerprint() -> tuple:
    """What a write would change: the change counter and the row count of every table but login attempts."""
    tables = [model._meta.table_name for model in MODELS if model is not LoginAttempt]
    counts = ", ".join(f'(SELECT COUNT(*) FROM "{table}")' for table in tables)
    return tuple(db.execute_sql(f"SELECT (SELECT MAX(value) FROM change_counter), {counts}").fetchone())


def _rules(app):
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static" and not rule.endpoint.endswith(".static")
        ),
        key=lambda rule: rule.rule,
    )


def _build_path(rule, value_for) -> str:
    """Fill every argument of the rule: an int gets value_for(name, True), others value_for(name, False)."""
    path = rule.rule
    for name in rule.arguments:
        is_int = type(rule._converters[name]).__name__ in ("IdConverter", "IntegerConverter")
        value = quote(str(value_for(name, is_int)), safe="")
        path = re.sub(r"<(?:[^:>]+:)?" + re.escape(name) + r">", lambda _m, v=value: v, path)
    return path


class World:
    """The demo school in the test database, with one logged-in client per role."""

    def __init__(self, app):
        self.app = app
        self.clients = {}
        for role in ROLES:
            self.clients[role] = app.test_client()
            if role:
                self.log_in(role)

    def log_in(self, role):
        response = self.clients[role].post("/login", data={"login": role, "password": demo.DEMO_PASSWORD})
        assert response.status_code == 302, f"demo login {role} failed"

    def request(self, role, method, url, **kwargs):
        client = self.clients[role]
        before = _fingerprint()
        response = client.open(url, method=method, **kwargs)
        where = f"{method} {url!r} as {role or 'anonymous'} ({kwargs.get('data') or kwargs.get('json')!r:.200})"
        assert response.status_code < 500, f"HTTP {response.status_code} on {where}"
        if response.status_code >= 400:
            assert _fingerprint() == before, f"refused with {response.status_code} but wrote: {where}"
        if role and (url.startswith("/logout") or url.startswith("/login")):
            # The walk itself may log the role out; carry on logged in.
            self.clients[role] = self.app.test_client()
            self.log_in(role)
        return response

    def form_fields(self, role, path) -> list[str]:
        """The names of the form fields the page at path shows this role (what a browser would send)."""
        response = self.clients[role].get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            return []
        names = dict.fromkeys(_FIELD.findall(response.get_data(as_text=True)))
        names.pop("csrf_token", None)
        return list(names)


@pytest.fixture
def world(app):
    demo.seed("small", today=TODAY, hash_method=app.config["PASSWORD_HASH_METHOD"])
    return World(app)


def _walk_rule(world, role, rule, step: int) -> None:
    """Send the fixed set of bad inputs to one rule as one role; `step` rotates through the bad values."""
    real = lambda name, is_int: 1 if is_int else "2026-12"  # noqa: E731
    path = _build_path(rule, real)
    methods = rule.methods - {"HEAD", "OPTIONS"}
    if "GET" in methods:
        world.request(role, "GET", path)
        number = BAD_NUMBERS[step % len(BAD_NUMBERS)]
        text = BAD_TEXTS[step % len(BAD_TEXTS)]
        world.request(role, "GET", path, query_string={"id": number, "page": number, "sort": number, "date": text})
        world.request(role, "GET", path, query_string=[("id", "1"), ("id", "2"), ("month", text), ("next", text)])
        if rule.arguments:
            odd = _build_path(rule, lambda name, is_int: MAX_ID if is_int else text)
            world.request(role, "GET", odd)
    if "POST" in methods:
        fields = world.form_fields(role, path) if "GET" in methods else []
        junk = {}
        for i, name in enumerate(fields):
            pool = BAD_NUMBERS if i % 2 else BAD_TEXTS
            junk[name] = pool[(step + i) % len(pool)]
        junk.setdefault("rowid", BAD_NUMBERS[step % len(BAD_NUMBERS)])
        world.request(role, "POST", path, data=junk)
        for body in (BAD_JSON_BODIES[step % len(BAD_JSON_BODIES)], BAD_JSON_BODIES[(step + 3) % len(BAD_JSON_BODIES)]):
            world.request(role, "POST", path, data=body, content_type="application/json")


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_every_endpoint_survives_bad_input(app, world, role):
    """The deterministic walk: every rule of the URL map, a fixed set of bad inputs."""
    rules = _rules(app)
    assert len(rules) > 100, "the URL map looks incomplete"
    for step, rule in enumerate(rules):
        _walk_rule(world, role, rule, step)


# --- the random walk -------------------------------------------------------------------------------

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(BAD_TEXTS + BAD_NUMBERS)
)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
_texts = (
    st.sampled_from(BAD_TEXTS + BAD_NUMBERS)
    | st.text(max_size=40)
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
)


def _json_text(value) -> str:
    # json.dumps writes inf as Infinity and nan as NaN, which Python's parser takes back; numbers too
    # large for a float travel as 1e400 when written by hand.
    return json.dumps(value, allow_nan=True)


@settings(
    max_examples=int(os.environ.get("EJOURNAL_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=os.environ.get("EJOURNAL_FUZZ_RANDOM") != "1",
)
@given(data=st.data())
def test_random_bad_input_on_random_endpoints(app, world, data):
    """Hypothesis draws a rule, a role and the inputs; the same two promises must hold."""
    rules = _rules(app)
    rule = data.draw(st.sampled_from(rules), label="rule")
    role = data.draw(st.sampled_from(ROLES), label="role")
    ids = st.integers(min_value=-5, max_value=2**64) | st.integers(min_value=1, max_value=50)
    path = _build_path(
        rule,
        lambda name, is_int: data.draw(
            ids if is_int else _texts.filter(lambda t: t and not set(t) & set("/?#")), label=name
        ),
    )
    query = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS), _texts), max_size=4), label="query")
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
    method = data.draw(st.sampled_from(methods), label="method")
    if method == "GET":
        world.request(role, "GET", path, query_string=query)
        return
    kind = data.draw(st.sampled_from(("form", "json", "raw")), label="body")
    if kind == "form":
        names = world.form_fields(role, path) if "GET" in methods else []
        keys = st.sampled_from(names + list(QUERY_KEYS) + ["rowid", "action"])
        form = data.draw(st.dictionaries(keys, _texts, max_size=6), label="form")
        world.request(role, "POST", path, query_string=query, data=form)
    elif kind == "json":
        body = data.draw(_json_values, label="json")
        world.request(role, "POST", path, query_string=query, data=_json_text(body), content_type="application/json")
    else:
        body = data.draw(st.sampled_from(BAD_JSON_BODIES), label="raw")
        world.request(role, "POST", path, query_string=query, data=body, content_type="application/json")
