"""The leader's report pages: turnout during the day, the count minutes with live checks and a read-back,
the photo of the signed paper, and the station's history. Everyone in scope may look; only the area's
polling-team leader may send (or the hotline on the leader's behalf, by phone: ``entry.Entry``)."""

from webapp.reports.views import count, history, photos, turnout  # noqa: F401  (routes)
from webapp.reports.views.blueprint import bp

__all__ = ["bp"]
