"""Who types a station's reports on the leader's pages: the leader (channel web) or, when the leader reports by
phone, the hotline on the leader's behalf (channel phone, ``webapp.hotline.proxy``). Pages, forms, checks and
services are the same; an ``Entry`` carries what differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from webapp.audit.models import Channel
from webapp.audit.services import Actor
from webapp.i18n import _
from webapp.reports import receipts
from webapp.web import current_actor


@dataclass(frozen=True)
class Entry:
    channel: Channel
    turnout: str  # endpoint of the turnout page (area_id)
    count: str  # endpoint of one contest's count minutes (area_id, contest_id)
    station: str | None = None  # by phone: the station's page the hotline works from (area_id)

    @property
    def by_phone(self) -> bool:
        """The hotline types what the leader reads out: every number is read back (``ReadBackForm`` ticked)
        before saving, a saved report returns to the station's page, and the leader's live checks and offline
        outbox are off."""
        return self.channel is Channel.PHONE

    def actor(self) -> Actor:
        return current_actor(self.channel)

    def saved(self, report: Any, replayed: bool, page: str, received: str, already: str) -> Response:
        """The receipt, said once, then back to ``page`` (the leader's) or, by phone, to the station's page,
        with the code to read to the leader."""
        if self.by_phone:
            code = receipts.display(report.receipt)
            received = _("Saved as received by phone. Read the receipt code to the leader: %(code)s", code=code)
            already = _("Already saved earlier. Receipt code: %(code)s", code=code)
        flash(already if replayed else received, "success")
        return redirect(self.back(report.polling_area_id) or page, 303)

    def back(self, area_id: int) -> str | None:
        """By phone, the station's page; the leader's pages each say where they lead."""
        return url_for(self.station, area_id=area_id) if self.station else None


def hidden_values() -> list[tuple[str, str]]:
    """What was posted, carried by the read-back's two buttons ("send" and "change something")."""
    return [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "step", "read_back")]


WEB = Entry(Channel.WEB, "reports.turnout", "reports.count")
