"""What the screens call the domain's codes, one table each: the contests' short names (tên cuộc bầu cử), the
report statuses (trạng thái báo cáo), a station's minutes as the results see them, and the channels a report
came by (kênh gửi)."""

from __future__ import annotations

from webapp.i18n import _l
from webapp.reports.models import ReportStatus

CONTEST_SHORT = {
    "na": _l("National Assembly"),
    "provincial": _l("Provincial People's Council"),
    "commune": _l("Commune People's Council"),
}
REPORT_STATUS = {
    ReportStatus.RECEIVED: _l("Received"),
    ReportStatus.RETURNED: _l("Returned for correction"),
    ReportStatus.CONFIRMED: _l("Confirmed"),
}
# A station's minutes as the results and review pages and the workbooks name them (results' StationRow.status).
STATION_STATUS = {"missing": _l("not sent"), "received": _l("awaiting review"), "returned": _l("returned"),
                  "confirmed": _l("confirmed")}
CHANNELS = {
    "web": _l("web page"),
    "api": _l("phone app"),
    "phone": _l("by phone, via the hotline"),
    "import": _l("import"),
    "cli": _l("command line"),
    "system": _l("system"),
    "drill-bot": _l("simulated station (drill)"),
}
