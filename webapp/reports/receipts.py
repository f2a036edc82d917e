"""Receipt codes: six characters a leader can read out over the phone without confusing any two."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

# Look-alikes are left out: 0 O, 1 I L, 2 Z, 5 S, 8 B.
ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
LENGTH = 6


def generate() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code: str) -> str:
    """What the leader typed or read out ("k7q-2md") as stored ("K7Q2MD"); may not be a valid code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def display(code: str) -> str:
    """Shown in two groups of three, as people read numbers aloud: K7Q-2MD."""
    return f"{code[:3]}-{code[3:]}" if len(code) == LENGTH else code


def new_receipt(session: Session, tables: tuple[type, ...], draws: int = 4) -> str:
    """A code used by none of ``tables`` (every table with a ``receipt`` column), so that the hotline can look
    any receipt up in one place. ``draws`` codes are checked in one statement and the first free one is kept;
    a race between two requests is caught by the UNIQUE constraint (the insert is retried)."""
    for _attempt in range(5):
        codes = list(dict.fromkeys(generate() for _ in range(draws)))
        taken = set(session.scalars(
            sa.union_all(*(sa.select(model.receipt).where(model.receipt.in_(codes)) for model in tables))
        ))
        for code in codes:
            if code not in taken:
                return code
    raise RuntimeError("could not draw a free receipt code")  # 25**6 codes: practically unreachable
