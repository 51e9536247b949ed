"""The panel's Russian catalogue for Flask-Admin's "admin" domain, laid over Flask-Admin's own.

Flask-Admin ships a Russian catalogue that lacks some strings («Failed to create record.», the page
size selector's «25 items») and words others awkwardly («Добавить Фильтр»). Its `translations_path`
option cannot fix the latter: Flask-Babel merges the application's directory first and Flask-Admin's
last, so Flask-Admin's wording wins. Here the two are merged the other way round, from the .po file
read at start-up (nothing to compile, nothing binary in the repository), and handed to Flask-Admin's
domain, which serves both its Python messages and its templates.
"""

import functools
import io
from pathlib import Path

import flask_admin.translations
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DIRECTORY = Path(__file__).parent
DOMAIN = "admin"


def catalogue_path(locale: str) -> Path:
    """Return the path of the panel's .po file for a locale."""
    return DIRECTORY / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def own_translations(locale: str) -> Translations | None:
    """Return the panel's own catalogue for a locale, compiled in memory (None when there is none)."""
    path = catalogue_path(locale)
    if not path.exists():
        return None
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@functools.cache
def panel_translations(locale: str) -> NullTranslations:
    """Return Flask-Admin's catalogue for a locale with the panel's strings over it."""
    ours = own_translations(locale)
    theirs = Translations.load(flask_admin.translations.__path__[0], [locale], DOMAIN)
    if ours is None:
        return theirs
    merged = Translations(domain=DOMAIN)
    merged.merge(theirs)
    merged.merge(ours)
    merged.plural = ours.plural
    return merged


def install(locale) -> None:
    """Make Flask-Admin's domain answer from the merged catalogue for a locale (idempotent, cheap)."""
    from flask_admin.babel import domain

    if locale is None:
        return
    # Flask-Babel's Domain keeps one Translations per (locale, domain) in this cache; filling it
    # first means Flask-Admin never builds its own merge for the panel's locale.
    key = (str(locale), domain.domain[0])
    translations = panel_translations(str(locale))
    if domain.cache.get(key) is not translations:
        domain.cache[key] = translations
