"""Meta-tests over every template, form and message (warehouse's test_templates.py, grown a little)."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_wtf import FlaskForm
from jinja2 import nodes
from wtforms.fields import DecimalField, FloatField, IntegerField
from wtforms.fields.core import UnboundField

import webapp
from webapp import ROOT, create_app

# Runs on SQLite only (scripts/test.sh): templates, forms, catalogs; its app's in-memory SQLite is never queried.
pytestmark = pytest.mark.no_database

_APP = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "templates-only"})
_APP.extensions["db"].engine.dispose()
ENV = _APP.jinja_env
TEMPLATES = sorted(t for t in ENV.list_templates() if t.endswith(".html"))
# Standalone documents: the 500 page must render without the layout; PDFs are printed, not browsed.
NOT_PAGES = {"base.html", "errors/500_standalone.html"}


def _is_fragment(name: str) -> bool:
    return Path(name).name.startswith("_") or name.startswith("_macros/")


PAGES = [t for t in TEMPLATES if not _is_fragment(t) and t not in NOT_PAGES and not t.endswith(".pdf.html")]
FRAGMENTS = [t for t in TEMPLATES if _is_fragment(t)]


def _ast(name: str) -> nodes.Template:
    source = ENV.loader.get_source(ENV, name)[0]
    return ENV.parse(source)


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_compiles(name):
    ENV.get_template(name)


@pytest.mark.parametrize("name", PAGES)
def test_page_extends_base_and_has_a_title(name):
    tree = _ast(name)
    parents = [e.template.value for e in tree.find_all(nodes.Extends) if isinstance(e.template, nodes.Const)]
    assert parents == ["base.html"], f"{name} is a page (no leading underscore) but extends {parents or 'nothing'}"
    assert "title" in {b.name for b in tree.find_all(nodes.Block)}, f"{name} does not define block title"


@pytest.mark.parametrize("name", FRAGMENTS)
def test_fragment_never_extends(name):
    assert not list(_ast(name).find_all(nodes.Extends)), f"fragment {name} extends a layout"


NUMBERISH = re.compile(r"count|total|votes|voters|ballots|number|seats|turnout|male|female|quantity", re.IGNORECASE)


@pytest.mark.parametrize("name", TEMPLATES)
def test_number_inputs_in_templates_bring_up_the_number_keypad(name):
    source = ENV.loader.get_source(ENV, name)[0]
    for tag in re.findall(r"<input\b[^>]*>", source):
        kind = (re.search(r'\btype="([^"]*)"', tag) or [None, "text"])[1]
        field = (re.search(r'\bname="([^"]*)"', tag) or [None, ""])[1]
        if kind == "number" or (kind in ("text", "tel") and NUMBERISH.search(field)):
            assert re.search(r'inputmode="(numeric|decimal)"', tag), f"{name}: {tag} needs inputmode=\"numeric\""


def _forms() -> list[type[FlaskForm]]:
    for module in pkgutil.walk_packages(webapp.__path__, "webapp."):
        if module.name.rsplit(".", 1)[-1] == "forms" or ".forms." in module.name:
            importlib.import_module(module.name)
    found, queue = [], list(FlaskForm.__subclasses__())
    while queue:
        cls = queue.pop()
        found.append(cls)
        queue.extend(cls.__subclasses__())
    return sorted((c for c in found if c.__module__.startswith("webapp.")), key=lambda c: c.__qualname__)


@pytest.mark.parametrize("form", _forms(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_number_fields_bring_up_the_number_keypad(form):
    """Phones show digits only when asked: every number field carries inputmode in its render_kw."""
    for name in dir(form):
        unbound = getattr(form, name, None)
        if isinstance(unbound, UnboundField) and issubclass(unbound.field_class, (IntegerField, DecimalField,
                                                                                  FloatField)):
            render_kw = unbound.kwargs.get("render_kw") or {}
            assert render_kw.get("inputmode") in ("numeric", "decimal"), (
                f"{form.__qualname__}.{name} is a number field without render_kw={{'inputmode': 'numeric'}}"
            )


def _i18n_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


UNTRANSLATED = (
    "Untranslated Vietnamese messages. While several people add strings at once this can fail until everyone "
    "has put their translations in translations/pending/<task>.json; then run "
    "`.venv/bin/python scripts/i18n.py update && .venv/bin/python scripts/i18n.py fill && "
    ".venv/bin/python scripts/i18n.py compile`. Missing: "
)


def test_vietnamese_catalog_is_complete():
    """Every message in the vi catalog has a translation (nothing empty or fuzzy)."""
    gaps = _i18n_script().missing("vi")
    assert not gaps, f"{UNTRANSLATED}{len(gaps)}, e.g. {gaps[:15]}"


def test_every_message_in_the_code_is_in_the_vietnamese_catalog(tmp_path):
    """Extraction today finds nothing that the vi catalog lacks (someone forgot `i18n.py update`)."""
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with (ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        have = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    absent = sorted(wanted - have)
    assert not absent, f"{UNTRANSLATED}{len(absent)}, e.g. {absent[:15]}"
