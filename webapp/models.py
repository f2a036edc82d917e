"""Imports every model so that the metadata is complete (Alembic, tests)."""

from webapp.accounts.models import ActivationCode, User  # noqa: F401
from webapp.api.models import ApiToken  # noqa: F401
from webapp.audit.models import AuditEntry  # noqa: F401
from webapp.counting.models import CountMark  # noqa: F401
from webapp.db import Base
from webapp.elections.models import (  # noqa: F401
    Candidate,
    Contest,
    Election,
    ElectoralUnit,
    PollingArea,
    PollingAreaUnit,
    ReportTime,
    TeamMember,
    VoterCount,
)
from webapp.followups.models import FollowUpVote  # noqa: F401
from webapp.geo.models import Commune, Province  # noqa: F401
from webapp.hotline.models import CallLog  # noqa: F401
from webapp.jobs.models import Job  # noqa: F401
from webapp.members.models import CommitteeMember  # noqa: F401
from webapp.readiness.models import ReadinessCheck  # noqa: F401
from webapp.progress.models import (  # noqa: F401
    CountRollup, CountStation, Correction, Dirty, PlaceVersion, RefreshState, TurnoutRollup, TurnoutStation,
)
from webapp.reports.models import CountReport, CountVote, ReportPhoto, TurnoutFigure, TurnoutReport  # noqa: F401
from webapp.review.models import ReviewAction, StationInvolvement  # noqa: F401
from webapp.voters.models import VoterChange, VoterListEntry, VoterListFreeze  # noqa: F401

metadata = Base.metadata
