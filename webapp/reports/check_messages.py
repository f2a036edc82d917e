"""Words for the findings of ``webapp.reports.checks``: one message per code, a label per field, and
``describe(finding)`` to put the numbers in (flask-babel: call it inside a request or app context)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from flask_babel import format_decimal
from flask_babel.speaklater import LazyString

from webapp.clock import to_local
from webapp.i18n import _, _l
from webapp.reports.checks import Finding

__all__ = ["CONTEST_LABELS", "FIELD_LABELS", "MESSAGES", "describe", "field_label"]

FIELD_LABELS: dict[str, LazyString] = {
    "voters_on_list": _l("Total voters on the list"),
    "voters_voted": _l("Voters who voted"),
    "ballots_issued": _l("Ballots issued"),
    "ballots_received": _l("Ballots received"),
    "valid": _l("Valid ballots"),
    "invalid": _l("Invalid ballots"),
    "votes": _l("Votes for a candidate"),
    "names_kept": _l("Valid ballots by number of names kept"),
    "complaints_received": _l("Complaints and denunciations received"),
    "complaints_resolved": _l("Complaints and denunciations resolved"),
    "complaints_forwarded": _l("Complaints and denunciations forwarded to the electoral board"),
    "ballots_from_commune": _l("Ballots received from the commune"),
    "ballots_spoiled": _l("Ballots spoiled by voters and exchanged"),
    "ballots_unused": _l("Ballots not used"),
}

CONTEST_LABELS: dict[str, LazyString] = {
    "na": _l("National Assembly deputies"),
    "provincial": _l("provincial People's Council deputies"),
    "commune": _l("commune People's Council deputies"),
}

_MORE_THAN_ON_LIST = _l("Voters who voted = %(voted)s is more than the voters on the list = %(on_list)s: "
                        "%(diff)s too many")

MESSAGES: dict[str, LazyString] = {
    # 1
    "blank": _l("%(field)s: not filled in"),
    "not_an_integer": _l("%(field)s: “%(value)s” is not a whole number"),
    "negative": _l("%(field)s cannot be negative (%(value)s)"),
    # 2, 3, 4
    "voted_gt_on_list": _MORE_THAN_ON_LIST,
    "received_gt_issued": _l("Ballots received = %(received)s is more than ballots issued = %(issued)s: "
                             "%(diff)s too many"),
    "valid_plus_invalid_ne_received": _l("Valid + invalid ballots = %(sum)s but ballots received = "
                                         "%(received)s: off by %(diff)s"),
    # 5, 6
    "issued_ne_voted": _l("Ballots issued = %(issued)s but voters who voted = %(voted)s: off by %(diff)s. "
                          "Each voter receives one ballot; please write the reason."),
    "received_lt_issued": _l("Ballots received = %(received)s is less than ballots issued = %(issued)s: "
                             "%(diff)s ballots missing. Please write the reason."),
    # 7
    "names_kept_out_of_range": _l("%(ballots)s valid ballots keep %(names)s names, but a valid ballot keeps "
                                  "from 1 to %(seats)s names"),
    "names_kept_sum_ne_valid": _l("Valid ballots by number of names kept add up to %(sum)s but valid "
                                  "ballots = %(valid)s: off by %(diff)s"),
    # 8
    "votes_ne_names_kept": _l("Total votes for the candidates = %(votes_sum)s but the ballots by number of "
                              "names kept give %(expected)s: off by %(diff)s"),
    "votes_below_valid": _l("Total votes for the candidates = %(votes_sum)s is less than valid ballots = "
                            "%(valid)s: short by %(diff)s. Every valid ballot keeps at least one name."),
    "votes_above_max": _l("Total votes for the candidates = %(votes_sum)s is more than %(seats)s seats × "
                          "%(valid)s valid ballots = %(max)s: %(diff)s too many"),
    # 9
    "candidate_votes_gt_valid": _l("Votes for %(candidate)s = %(votes)s is more than valid ballots = "
                                   "%(valid)s: %(diff)s too many"),
    "candidate_missing": _l("The votes for %(candidate)s are not filled in"),
    "candidate_unknown": _l("%(candidate)s is not a candidate of this electoral unit"),
    # 10
    "inventory_ne_received": _l("Ballots received from the commune = %(from_commune)s but issued %(issued)s + "
                                "spoiled and exchanged %(spoiled)s + not used %(unused)s = %(sum)s: off by "
                                "%(diff)s. Count the ballots again or write the reason."),
    # 11
    "on_list_above_wider_contest": _l("Voters on the list to elect %(contest)s = %(value)s is more than to "
                                      "elect %(wider_contest)s = %(wider_value)s: %(diff)s more"),
    "voted_above_wider_contest": _l("Voters who voted to elect %(contest)s = %(value)s is more than to elect "
                                    "%(wider_contest)s = %(wider_value)s: %(diff)s more"),
    "on_list_ne_frozen": _l("Voters on the list = %(on_list)s but the list frozen when voting started holds "
                            "%(frozen)s: off by %(diff)s. Please write the reason."),
    # 13
    "turnout_ne_voted": _l("Voters who voted = %(voted)s but the last turnout report said %(turnout)s: "
                           "off by %(diff)s. Please write the reason."),
    "turnout_gt_on_list": _MORE_THAN_ON_LIST,
    "turnout_decreased": _l("Voters who voted = %(voted)s is lower than the previous report = %(previous)s "
                            "(down %(diff)s). Write the reason to send it."),
    # 14
    "submitted_before_close": _l("The minutes are sent at %(submitted_at)s, before voting closes at "
                                 "%(closes_at)s"),
    "turnout_outside_hours": _l("The report time %(at)s is outside the allowed hours %(opens)s–%(closes)s"),
}

_TIME_PARAMS = frozenset({"submitted_at", "closes_at", "at", "opens", "closes"})


def field_label(name: str, candidate_names: Mapping[int, str] | None = None) -> str:
    """The label of a field named in a finding: a CountInput attribute, ``votes:<id>``, ``names_kept:<k>``."""
    base, _sep, key = name.partition(":")
    if base == "votes" and key:
        return _("Votes for %(candidate)s", candidate=_candidate(int(key), candidate_names))
    if base == "names_kept" and key:
        return _("Valid ballots keeping %(k)s names", k=key)
    return str(FIELD_LABELS[base]) if base in FIELD_LABELS else name


def _candidate(cid: int, names: Mapping[int, str] | None) -> str:
    if names and cid in names:
        return names[cid]
    return _("candidate no. %(id)s", id=cid)


def _display(key: str, value: int | str, names: Mapping[int, str] | None) -> str:
    if key == "field":
        return field_label(str(value), names)
    if key == "candidate":
        return _candidate(int(value), names)
    if key in ("contest", "wider_contest"):
        return str(CONTEST_LABELS.get(str(value), value))
    if key in _TIME_PARAMS:
        return to_local(datetime.fromisoformat(str(value))).strftime("%H:%M %d/%m/%Y")
    if isinstance(value, int) and not isinstance(value, bool) and key not in ("names", "seats", "value"):
        return format_decimal(value)
    return str(value)


def describe(finding: Finding, candidate_names: Mapping[int, str] | None = None) -> str:
    """The finding as one sentence in the user's language, e.g. "Phiếu hợp lệ + phiếu không hợp lệ = 810
    nhưng số phiếu thu vào = 812: lệch 2"."""
    template = MESSAGES.get(finding.code)
    if template is None:
        return finding.code
    return str(template) % {k: _display(k, v, candidate_names) for k, v in finding.params.items()}
