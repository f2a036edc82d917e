"""The strings of static/js, from the Babel catalog (issue 16 §5): the scripts read ``self.APP_TEXT`` from
``/_/text.js`` (webapp/offline/views.py), so ``scripts/i18n.py check`` covers them like any other string.

The placeholders are the scripts' own (``%s``, ``%n``, ``%f``), replaced in JavaScript; gettext is called
without values here, so Python never formats them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.reports.check_messages import FIELD_LABELS, MESSAGES

# One table per script; the keys are the names the script uses.
JS_TEXT = {
    "app": {
        "waiting": _l("waiting"),
        "sending": _l("sending"),
        "sent": _l("sent"),
        "needs_fix": _l("needs fixing"),
        "badge": _l("%n waiting"),
        "badgeFix": _l("%f to fix"),
        "bannerAuth": _l("Your session has expired — sign in again to continue sending. %n items are kept "
            "on this phone."),
        "bannerOffline": _l("No network. %n items are saved on this phone, not sent yet."),
        "login": _l("Sign in"),
        "saving": _l("Saving on the phone…"),
        "sendingNow": _l("Saved on the phone. Sending…"),
        "saved": _l("Saved on the phone — NOT SENT YET. It will be sent when the network returns. Do not "
            "clear browser data."),
        "authSaved": _l("Saved on the phone — NOT SENT YET. Your session has expired — sign in again to "
            "continue sending."),
        "fixNow": _l("Not sent: the server did not accept these numbers. Fix them and send again."),
        "home": _l("Home"),
        "outbox": _l("Open the outbox"),
        "numbers": _l("Numbers"),
        "photo": _l("Photo of the minutes"),
        "queuedAt": _l("saved %s"),
        "sentAt": _l("sent %s"),
        "tries": _l("%n attempts"),
        "nextTry": _l("next try %s"),
        "fix": _l("Fix"),
        "show": _l("Show numbers"),
        "del": _l("Delete"),
        "confirmDelete": _l("Delete this item from the phone? It will NOT be sent."),
        "fixTitle": _l("Fix and resend: %s"),
        "noForm": _l("The server sent no form to fix. Export it and call the commune."),
        "empty": _l("Nothing waits on this phone."),
        "summary": _l("%n items wait on this phone."),
        "summaryFix": _l("%n items wait, %f of them need fixing."),
        "sentTitle": _l("Sent recently"),
        "persisted": _l("The browser agreed to keep this data on the phone."),
        "notPersisted": _l("The browser has not promised to keep this data: do not clear browsing data; add "
            "the app to the home screen."),
        "sendResult": _l("%n items sent."),
        "exportHead": _l("Reports saved on the phone, exported %s"),
        "code": _l("Code"),
        "to": _l("Sent to"),
        "state": _l("State"),
        "error": _l("Last error"),
        "nothing": _l("(nothing)"),
        "notKept": _l("No network — NOT SENT, and this step cannot be kept on the phone. What you typed is "
            "still here: send again when the network returns."),
    },
    "outbox": {
        "network": _l("No network — will retry by itself."),
        "server": _l("Server error (%s) — will retry by itself."),
        "answer": _l("Unclear answer from the server (%s) — will retry by itself."),
        "auth": _l("Your session has expired — sign in again to continue sending."),
        "fix": _l("The server did not accept it: some numbers need fixing. Open it, fix and resend."),
        "rejected": _l("The server refused it (%s). Export it or call the commune, then delete it."),
        "owner": _l("Saved by another account — sign in with that account to send it."),
    },
    "readback": {
        "title": _l("Read back before sending"),
        "offline": _l("No network: the minutes will be kept on the phone and sent when the network returns. "
            "The server checks every number again when it receives them."),
        "read": _l("Read each number and its words aloud, and compare them with the paper minutes."),
        "send": _l("Correct — send the minutes"),
        "edit": _l("Change something"),
        "blank": _l("(blank)"),
        "digits": _l("Digits only (0–9): %s"),
        "signers": _l("Signatures"),
        "witness": _l("witness voter"),
        "explain": _l("Explanations"),
        "photo": _l("Take the photo of the minutes (sent after the numbers)"),
        "photoTitle": _l("Photo of the signed minutes"),
        "photoHint": _l("The photo is sent once the server has received the numbers."),
        "camera": _l("Take the photo"),
        "gallery": _l("Choose from the gallery"),
        "sendPhoto": _l("Send the photo"),
        "photoLabel": _l("Photo: %s"),
        "working": _l("Making the photo smaller…"),
        "ready": _l("Ready to send"),
        "failed": _l("This photo cannot be read; take it again."),
    },
    "readbackChecks": {
        "title": _l("Checks"),
        "allPass": _l("All checks pass."),
        "mustFix": _l("Must fix"),
        "explain": _l("Explain"),
        "explainLabel": _l("Written explanation (as in the paper minutes)"),
        "explainNeeded": _l("Write the explanation to send these minutes."),
        "blocked": _l("These minutes cannot be sent as they are: fix what is marked, on the paper minutes too, "
                      "then read back again."),
        "signers": _l("Tick the team members who sign."),
        "witnesses": _l("Write the names of the two witness voters."),
        "sameWitness": _l("The two witnesses must be two different people."),
        "goTo": _l("Go to the field"),
    },
    "draft": {
        "restored": _l("What you were typing has been restored (kept on the phone at %s, NOT SENT). Check "
            "it, then send."),
        "discard": _l("Discard the draft"),
        "queued": _l("Waiting to be sent: this report was saved on the phone at %s and will be sent when "
            "the network returns. Do not type it again."),
        "outbox": _l("Open the outbox"),
        "waiting": _l("waiting to be sent"),
        "noChange": _l("no change"),
        "voters": _l("voters"),
        "savedAt": _l("saved on the phone at %s, sent when the network returns"),
    },
    "readiness": {
        "checking": _l("Checking… Keep the screen on."),
        "sending": _l("Sending the results through the outbox…"),
        "notSent": _l("The results could not be sent (no network, or the server did not answer). Run the check "
            "again with the network on."),
        "item": _l("Readiness check (a test item, not a report)"),
    },
    # static/js/checks.js: the same sentences as webapp/reports/check_messages.py (the same msgids, so the same
    # translations), with Python's %(name)s placeholders filled in by the script.
    "checks": {
        "messages": MESSAGES,
        "fields": FIELD_LABELS,
        "candidate": _l("candidate no. %(id)s"),
        "votesFor": _l("Votes for %(candidate)s"),
        "keeping": _l("Valid ballots keeping %(k)s names"),
    },
}
