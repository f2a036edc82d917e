"""Activation slips: each new one-time code printed once, on an A4 sheet of slips to cut apart.

Codes are stored only as hashes, so a sheet can be produced only in the request that issued its codes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from flask import Response, current_app, render_template
from flask_babel import force_locale
from weasyprint import HTML

from webapp.accounts.models import Role, User
from webapp.accounts.services import IssuedCode
from webapp.textnorm import nfc

SLIPS_PER_PAGE = 8  # two columns of four: room for the report times and a code big enough to read aloud


@dataclasses.dataclass(frozen=True)
class Slip:
    title: str  # "Khu vực bỏ phiếu số 2" or the role of an official
    reference: str  # the polling area's code, or empty
    place: str  # commune and province
    holder: str  # the person the slip is for
    username: str
    code: str
    expires_at: datetime | None


def group_code(code: str, size: int = 4) -> str:
    """``ACDEFGHJ`` -> ``ACDE-FGHJ``: easier to read off paper and type on a phone."""
    return "-".join(code[i : i + size] for i in range(0, len(code), size))


def _place(user: User) -> str:
    parts = [p.name for p in (user.commune, user.province) if p is not None]
    return ", ".join(parts)


def leader_slip(issued: IssuedCode) -> Slip:
    area, user = issued.polling_area, issued.user
    return Slip(
        title=nfc(area.name),
        reference=area.code,
        place=nfc(f"{area.commune.name}, {area.province.name}"),
        holder=nfc(user.full_name),
        username=user.username,
        code=group_code(issued.code),
        expires_at=user.activation_expires_at,
    )


def account_slip(user: User, code: str, role_label: str) -> Slip:
    return Slip(
        title=nfc(role_label),
        reference="",
        place=nfc(_place(user)),
        holder=nfc(user.full_name),
        username=user.username,
        code=group_code(code),
        expires_at=user.activation_expires_at,
    )


def render_pdf(slips: Sequence[Slip], *, report_times: Sequence[str] = (), heading: str = "") -> bytes:
    """The sheet of slips as PDF bytes, always in Vietnamese (the slips go to polling teams)."""
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    with force_locale("vi"):
        html = render_template(
            "accounts/slips.pdf.html",
            pages=pages,
            per_page=SLIPS_PER_PAGE,
            public_url=current_app.config["PUBLIC_BASE_URL"],
            report_times=list(report_times),
            heading=nfc(heading),
            Role=Role,
        )
    # base_url: the fonts are read from static/fonts, never from the machine's fontconfig.
    return HTML(string=html, base_url=current_app.static_folder + "/").write_pdf()


def pdf_response(pdf: bytes, filename: str) -> Response:
    """The sheet as a download that no cache keeps (it holds live codes)."""
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
