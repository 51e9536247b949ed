"""The staff guide shows the screens as they are: every picture in it is one a browser test takes."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.ru.md"
SHOT_CALL = re.compile(r"""guide_shot\(\s*page\s*,\s*["']([\w-]+)["']\s*\)""")
PICTURE = re.compile(r"!\[[^\]]*\]\(guide/([\w-]+)\.png\)")


def _taken() -> set[str]:
    return {name for path in (ROOT / "tests" / "e2e").glob("*.py") for name in SHOT_CALL.findall(path.read_text())}


def test_every_picture_of_the_guide_is_taken_by_a_browser_test_and_every_one_taken_is_shown():
    shown = PICTURE.findall(GUIDE.read_text())
    assert shown, "the guide shows no pictures"
    assert len(shown) == len(set(shown)), "a picture is shown twice"
    taken = _taken()
    assert set(shown) - taken == set(), "pictures no browser test takes"
    assert taken - set(shown) == set(), "pictures taken for the guide that it does not show"
    missing = [name for name in shown if not (GUIDE.parent / "guide" / f"{name}.png").is_file()]
    assert missing == [], "run the browser tests (make test-e2e) and commit docs/guide/"


def test_the_guide_has_a_part_for_every_role():
    headings = re.findall(r"^## (.+)$", GUIDE.read_text(), flags=re.M)
    for role in ("Учитель", "Классный руководитель", "Заместитель директора", "Руководитель", "Администратор"):
        assert any(h.startswith(role) for h in headings), role
