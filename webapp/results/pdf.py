"""Printing the forms: HTML from the templates under ``templates/forms``, PDF from that HTML with WeasyPrint.

The stylesheet (``static/css/forms.css``, with the shipped Liberation Serif 2 fonts) is parsed once per PDF and
shared by every form in it; a PDF of many forms is one document per form whose pages are then put together, so
that each form keeps its own page numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Response, render_template
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

STYLESHEET = Path("css") / "forms.css"


def render_form(template: str, *, pdf: bool, **context: Any) -> str:
    """The HTML of a form: for WeasyPrint (``pdf``) or the printable page (with its toolbar and stylesheet)."""
    return render_template(template, pdf=pdf, **context)


def write_pdf(documents: Sequence[str], static_folder: str, target: Any = None) -> bytes | None:
    """One PDF of every HTML document in order; written to ``target`` (a path or file) if given."""
    if not documents:
        raise ValueError("nothing to print")
    fonts = FontConfiguration()
    css = CSS(filename=str(Path(static_folder) / STYLESHEET), font_config=fonts)
    base_url = str(Path(static_folder)) + "/"
    rendered = [HTML(string=html, base_url=base_url).render(stylesheets=[css], font_config=fonts)
                for html in documents]
    pages = [page for document in rendered for page in document.pages]
    return rendered[0].copy(pages).write_pdf(target)


def pdf_response(body: bytes, filename: str) -> Response:
    """A PDF download (the forms hold results: private, not kept by shared caches)."""
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
