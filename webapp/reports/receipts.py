"""Receipt codes: six characters a leader can read out over the phone without confusing any two."""

from __future__ import annotations

import secrets

# Look-alikes are left out: 0 O, 1 I L, 2 Z, 5 S, 8 B.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 6
# The first character tells the kind of report: turnout receipts begin with one of the first 12 characters, count
# receipts with one of the other 13. No code can then be both, so each table's UNIQUE constraint alone keeps every
# receipt unique across both tables (the hotline looks any code up in one place) without a query before the insert;
# a clash inside a table (about 1 in 200 at the end of the day) is retried by ``versions.write``.
FIRST = {"turnout": ALPHABET[:12], "count": ALPHABET[12:]}


def generate(kind: str | None = None) -> str:
    """A random code; ``kind`` ("turnout" or "count") picks its first character from that kind's share."""
    first = secrets.choice(FIRST[kind] if kind else ALPHABET)
    return first + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH - 1))


def normalise(code: str) -> str:
    """What the leader typed or read out ("k7q-2md") as stored ("K7Q2MD"); may not be a valid code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def display(code: str) -> str:
    """Shown in two groups of three, as people read numbers aloud: K7Q-2MD."""
    return f"{code[:3]}-{code[3:]}" if len(code) == LENGTH else code
