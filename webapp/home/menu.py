"""The main menu of each role: the few entries used all day stay in view at 360 px, the rest sit behind one
"Thêm" (more) entry, a <details> that opens without JavaScript."""

from __future__ import annotations

import dataclasses

from flask import url_for

from webapp.accounts.models import Role, User
from webapp.i18n import _l

OFFICIALS = (Role.ADMIN, Role.PROVINCE, Role.COMMUNE)


@dataclasses.dataclass(frozen=True)
class Entry:
    endpoint: str
    label: object  # a lazy string
    roles: tuple[Role, ...]
    main: tuple[Role, ...] = ()  # the roles that see it in view rather than under "more"


# In menu order. "Main" entries are what the role does on the day: a commune official confirms reports and
# watches its stations; the hotline calls late stations and enters reports by phone; a committee watches progress.
ENTRIES = (
    Entry("home.index", _l("Home"), tuple(Role), tuple(Role)),
    Entry("review.queue", _l("Review"), OFFICIALS, (Role.PROVINCE, Role.COMMUNE)),
    Entry("hotline.calls", _l("Calls"), (Role.ADMIN, Role.PROVINCE, Role.HOTLINE), (Role.HOTLINE,)),
    Entry("hotline.search", _l("Hotline"), (Role.ADMIN, Role.PROVINCE, Role.HOTLINE), (Role.HOTLINE,)),
    Entry("progress.index", _l("Progress"), (*OFFICIALS, Role.HOTLINE), (Role.ADMIN, Role.PROVINCE, Role.COMMUNE)),
    Entry("results.index", _l("Results"), (*OFFICIALS, Role.HOTLINE), (Role.ADMIN,)),
    Entry("elections.stations", _l("Polling areas"), (*OFFICIALS, Role.HOTLINE)),
    Entry("imports.index", _l("Import data"), OFFICIALS),
    Entry("voters.index", _l("Voter lists"), OFFICIALS),
    Entry("voter_reports.index", _l("Voter reports"), OFFICIALS),
    Entry("accounts_admin.leaders", _l("Leaders' accounts"), OFFICIALS),
    Entry("accounts_admin.index", _l("Accounts"), OFFICIALS),
    Entry("audit.index", _l("Audit log"), OFFICIALS),
    Entry("settings.report_times", _l("Report times"), (Role.ADMIN, Role.PROVINCE)),
    Entry("api_tokens.index", _l("API tokens"), (Role.ADMIN, Role.PROVINCE)),
    Entry("readiness.stations", _l("Readiness"), (*OFFICIALS, Role.HOTLINE)),
    Entry("drillreport.index", _l("Drill reports"), (*OFFICIALS, Role.HOTLINE)),
    Entry("drills.index", _l("Drills"), (Role.ADMIN, Role.PROVINCE)),
)


def menu_for(user: User) -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
    """(href, label) of the entries in view and of those under "more", for the user's role."""
    if user.role is Role.LEADER:
        if user.polling_area_id is None:
            return [(url_for("home.index"), _l("Home"))], []
        area = user.polling_area_id
        return [(url_for("home.index"), _l("Home")), (url_for("reports.turnout", area_id=area), _l("Turnout")),
                (url_for("reports.counts", area_id=area), _l("Vote count"))], []
    main, more = [], []
    for entry in ENTRIES:
        if user.role in entry.roles:
            (main if user.role in entry.main else more).append((url_for(entry.endpoint), entry.label))
    return main, more
