"""Errors of the API as JSON: ``{"errors": [{"field", "code", "severity", "message": {"vi", "en"}, "params"}]}``.

Every message is rendered in both languages, so an integration can show either and the phone's outbox can show
the leader's language without asking again. Findings of the checks keep their own codes and parameters."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from flask import Response, jsonify
from flask_babel import force_locale

from webapp.i18n import _
from webapp.reports.check_messages import describe
from webapp.reports.checks import Finding

LOCALES = ("vi", "en")


def bilingual(render: Callable[[], str]) -> dict[str, str]:
    """``render`` called once under each locale."""
    out = {}
    for locale in LOCALES:
        with force_locale(locale):
            out[locale] = str(render())
    return out


def _messages() -> dict[str, Callable[[Mapping[str, Any]], str]]:
    return {
        # 400: not the documented shape
        "invalid_json": lambda p: _("The request body is not valid JSON."),
        "not_an_object": lambda p: _("The request body must be a JSON object."),
        "required": lambda p: _("%(field)s is required.", field=p["field"]),
        "invalid_type": lambda p: _("%(field)s has the wrong type: expected %(expected)s.", field=p["field"],
                                    expected=p["expected"]),
        "invalid_key": lambda p: _("%(field)s: “%(key)s” is not a valid key here.", field=p["field"], key=p["key"]),
        "unknown_field": lambda p: _("%(field)s is not a field of this request.", field=p["field"]),
        "invalid_uuid": lambda p: _("%(field)s is not a valid UUID.", field=p["field"]),
        "invalid_time": lambda p: _("%(field)s is not a time of day (HH:MM).", field=p["field"]),
        "invalid_text": lambda p: _("%(field)s contains characters that are not allowed.", field=p["field"]),
        "too_many_items": lambda p: _("%(field)s has too many entries (at most %(max)s).", field=p["field"],
                                      max=p["max"]),
        "exclusive": lambda p: _("Send either %(field)s or %(other)s, not both.", field=p["field"],
                                 other=p["other"]),
        "csrf": lambda p: _("Your session has expired. Please log in again and resend."),
        "missing_file": lambda p: _("Attach the photo as the multipart field “%(field)s”.", field=p["field"]),
        # 422: the right shape, values refused
        "out_of_range": lambda p: _("%(field)s = %(value)s is out of range (from %(min)s to %(max)s).",
                                    field=p["field"], value=p["value"], min=p["min"], max=p["max"]),
        "too_long": lambda p: _("%(field)s is too long (at most %(max)s characters).", field=p["field"],
                                max=p["max"]),
        "no_signers": lambda p: _("Choose the team members who signed the minutes."),
        "unknown_signer": lambda p: _("A signer is not a member of this polling team."),
        "witnesses_missing": lambda p: _("Enter the names of the two voters who witnessed the count."),
        "witnesses_same": lambda p: _("The two witnesses must be different people."),
        "contest_not_held": lambda p: _("This polling area does not vote in this contest."),
        "unknown_report_time": lambda p: _("This is not one of the day's report times, or it has not started "
                                           "yet."),
        "empty": lambda p: _("The photo is empty."),
        "too_large": lambda p: _("The photo is too large."),
        "not_an_image": lambda p: _("The file is not a picture."),
        "unsupported_format": lambda p: _("Send the photo as JPEG, PNG or WebP."),
        "too_many_pixels": lambda p: _("The picture has too many pixels."),
        "too_small": lambda p: _("The picture is too small to read."),
        # Other statuses
        "unauthenticated": lambda p: _("Log in, or send a valid API token."),
        "invalid_token": lambda p: _("The API token is not valid, has expired or was revoked."),
        "forbidden": lambda p: _("You do not have permission to do this."),
        "insufficient_scope": lambda p: _("This API token's scopes do not allow this request."),
        "not_allowed": lambda p: _("Only the polling team leader of this polling area sends its reports."),
        "not_found": lambda p: _("Not found, or not within your area."),
        "method_not_allowed": lambda p: _("This action is not allowed here."),
        "payload_too_large": lambda p: _("The request is too large."),
        "locked": lambda p: (
            _("The commune has confirmed this turnout report: a new version can be sent only after it reopens it.")
            if p.get("report") == "turnout" else
            _("The commune has confirmed these minutes: a photo can be attached only after it reopens them.")
            if p.get("report") == "photo" else
            _("The commune has confirmed these minutes: a new version can be sent only after it reopens them.")),
        "superseded": lambda p: _("A newer version of these minutes was sent: attach the photo to the version that "
                                  "counts (version %(latest)s).", latest=p.get("latest_version")),
        "client_uuid_conflict": lambda p: _("This client_uuid was already used for a different report."),
        "no_report_times": lambda p: _("No turnout report times are set for this polling area."),
        "bad_request": lambda p: _("The request could not be understood."),
        "too_many_requests": lambda p: _("Too many attempts. Please wait a few minutes and try again."),
        "unavailable": lambda p: _("The server cannot reach its database right now. Your entries were not saved; "
                                   "please try again in a minute."),
        "internal": lambda p: _("Something went wrong on the server. Your entries were not saved; please try "
                                "again."),
        "invalid_cursor": lambda p: _("%(field)s is not a cursor this feed returned.", field=p["field"]),
        # Imports
        "missing_upload": lambda p: _("Attach the file as the multipart field “%(field)s”.", field=p["field"]),
        "file_type": lambda p: _("Send an .xlsx or .csv file."),
        "file_too_large": lambda p: _("The file is larger than %(limit)d MB. Split it into smaller files.",
                                      limit=p.get("max_mb", 10)),
        # Voter lists (webapp.voters): the rule's or the row's own sentence
        "voter_rule": lambda p: _(p["message_id"], **p.get("values", {})),
        "voter_row": lambda p: _("Row %(row)s: ", row=p.get("row")) + _(p["message_id"], **p.get("values", {})),
        "voting_not_started": lambda p: _("A list is frozen when voting starts; it has not started yet."),
        # Leaders' activation codes
        "duplicate_username": lambda p: _("The username %(name)s is already used by another account. Ask the "
                                          "administrator to rename it.", name=p.get("username")),
        "account_inactive": lambda p: _("The account %(name)s is deactivated: reactivate it before printing a new "
                                        "slip.", name=p.get("username")),
        # The commune's review (the same sentences as its pages)
        "invalid_choice": lambda p: _("%(field)s must be one of: %(choices)s.", field=p["field"],
                                      choices=", ".join(map(str, p.get("choices", ())))),
        "shown_required": lambda p: _("Send the report's ETag as If-Match, or the status you were shown as "
                                      "“shown”."),
        "stale": lambda p: _("This report changed since you read it; nothing was changed. Read it again and "
                             "decide."),
        "review_conflict": lambda p: _conflict_message(p),
        "invalid_decision": lambda p: _("This decision is not possible for a report in this state."),
        "review_not_reviewer": lambda p: _("Only officials of the commune, the province or the country decide on "
                                           "reports."),
        "review_wrote": lambda p: _("You entered figures of this polling station yourself, so you may not "
                                    "confirm, return or reopen its reports for the rest of the election. Another "
                                    "official of the commune, or the province, must decide."),
        "review_reset_code": lambda p: _("You reset the activation code of this polling station's leader after the "
                                         "leader had activated the account, so you may not confirm, return or "
                                         "reopen its reports for the rest of the election. Another official of "
                                         "the commune, or the province, must decide."),
        "return_reasons_required": lambda p: _("Tick at least one reason."),
        "return_text_required": lambda p: _("Write what is wrong: “Other” needs a note."),
        "reopen_reason_required": lambda p: _("Write at least %(n)d characters: the reason is kept in the audit "
                                              "log.", n=p.get("min", 10)),
        # Additional and repeat elections (webapp.followups)
        "invalid_date": lambda p: _("%(field)s must be a date written YYYY-MM-DD.", field=p["field"]),
        **{f"follow_up_{code}": (lambda p, m=message: str(m)) for code, message in _follow_up_refusals().items()},
        "busy": lambda p: _("The server is busy. Your entries were not saved; please send them again in a "
                            "moment."),
    }


def _follow_up_refusals() -> Mapping[str, Any]:
    from webapp.followups.words import REFUSALS

    return REFUSALS


def _conflict_message(p: Mapping[str, Any]) -> str:
    if "newer_version" in p:
        return _("A newer version (version %(n)d) arrived at %(time)s; nothing was changed. Review the new one.",
                 n=p["newer_version"], time=p["time"])
    messages = {
        "confirm": lambda: _("Already confirmed by %(who)s at %(time)s.", who=p["by"], time=p["time"]),
        "return": lambda: _("Already returned for correction by %(who)s at %(time)s.", who=p["by"], time=p["time"]),
        "reopen": lambda: _("Already reopened by %(who)s at %(time)s.", who=p["by"], time=p["time"]),
    }
    if p.get("decision") in messages:
        return messages[p["decision"]]()
    return _("This report changed meanwhile; nothing was changed. Check it again.")


@dataclasses.dataclass(frozen=True)
class Problem:
    """One error (or warning) about a request. ``field`` is a path into the JSON body ("votes.12")."""

    code: str
    field: str | None = None
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    severity: str = "block"

    def as_json(self) -> dict[str, Any]:
        params = {"field": self.field, **self.params}
        message = _messages().get(self.code)
        return {
            "field": self.field,
            "code": self.code,
            "severity": self.severity,
            "message": bilingual(lambda: message(params) if message else self.code),
            "params": dict(self.params),
        }


class ApiError(Exception):
    """Answered as ``status`` with the problems as JSON."""

    def __init__(self, status: int, problems: Sequence[Problem] | Problem,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        self.headers = dict(headers or {})


def api_error(status: int, code: str, field: str | None = None, **params: Any) -> ApiError:
    return ApiError(status, Problem(code, field, params))


def _path(name: str) -> str:
    return name.replace(":", ".")


def finding_json(finding: Finding, candidate_names: Mapping[int, str] | None = None, *,
                 field: str | None = None, contest: str | None = None) -> dict[str, Any]:
    """A finding of the checks as an error: its code, severity, check number, fields and numbers, and its
    sentence in both languages."""
    params = dict(finding.params)
    if contest is not None:
        params["contest"] = contest
    return {
        "field": field or (_path(finding.fields[0]) if finding.fields else None),
        "fields": [_path(f) for f in finding.fields],
        "code": finding.code,
        "severity": finding.severity.value,
        "check": finding.check,
        "message": bilingual(lambda: describe(finding, candidate_names)),
        "params": params,
    }


def response(status: int, errors: Iterable[dict[str, Any]], warnings: Iterable[dict[str, Any]] = (),
             headers: Mapping[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"errors": list(errors)}
    warnings = list(warnings)
    if warnings:
        body["warnings"] = warnings
    out = jsonify(body)
    out.status_code = status
    out.headers.update(headers or {})
    return out


def error_response(exc: ApiError) -> Response:
    return response(exc.status, [p.as_json() for p in exc.problems], headers=exc.headers)
