"""Cell values made into codes, numbers, dates, phone numbers and choices, or a message saying why not."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from collections.abc import Callable
from typing import Any

from webapp.elections import codes
from webapp.imports.common import N_, Context, RowError
from webapp.imports.datasets import Dataset, header_key
from webapp.imports.parsing import INVALID, Row, Table


class CellError(ValueError):
    def __init__(self, message_id: str, **params: Any) -> None:
        super().__init__(message_id)
        self.message_id = message_id
        self.params = params


def to_text(value: Any, max_length: int = 300) -> str:
    if isinstance(value, bool):
        raise CellError(N_("Expected text, found TRUE/FALSE."))
    if isinstance(value, (datetime, date, time)):
        raise CellError(
            N_("Excel turned this value into a date. Format the column as Text and type it again.")
        )
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if len(text) > max_length:
        raise CellError(N_("At most %(n)d characters."), n=max_length)
    return text



def to_code(value: Any, *, digits: int | None = None, max_length: int = 20) -> str:
    """A code: numbers that lost their leading zeros in Excel get them back."""
    text = to_text(value, max_length=max_length).upper()
    if digits is not None:
        if not (text.isascii() and text.isdigit()) or len(text) > digits:
            raise CellError(N_("Expected a code of %(n)d digits."), n=digits)
        return text.zfill(digits)
    if not codes.is_code(text, max_length):
        raise CellError(N_("A code holds only letters without accents and digits, in groups joined by a single "
                           "- _ or . (for example QH-79-01)."))
    return text


def to_int(value: Any, *, minimum: int = 0, maximum: int = 10_000_000) -> int:
    if isinstance(value, (bool, datetime, date, time)):
        raise CellError(N_("Expected a whole number."))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(N_("Expected a whole number."))
        value = int(value)
    if isinstance(value, str):
        text = value.replace(" ", "")
        # 1.234 and 1,234 are thousands in Vietnamese and English spreadsheets alike.
        parts = text.replace(",", ".").split(".")
        if len(parts) > 1 and all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3:
            text = "".join(parts)
        if not (text.isascii() and text.isdigit()):
            raise CellError(N_("Expected a whole number."))
        value = int(text)
    if not isinstance(value, int):
        raise CellError(N_("Expected a whole number."))
    if value < minimum or value > maximum:
        raise CellError(N_("Expected a number from %(low)d to %(high)d."), low=minimum, high=maximum)
    return value


def _date_from_text(text: str) -> tuple[date, str]:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
    if match:
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        rest = ":".join(g for g in match.groups()[3:] if g) if match[4] else ""
    else:
        match = re.fullmatch(
            r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})(?: (\d{1,2}):(\d{2})(?::(\d{2}))?)?", text
        )
        if not match:
            raise CellError(
                N_("“%(value)s” is not a date in a known form. Write it as dd/mm/yyyy."), value=text[:30]
            )
        day, month = int(match[1]), int(match[2])
        if len(match[3]) != 4:
            raise CellError(N_("Write the year with four digits (dd/mm/yyyy)."))
        year = int(match[3])
        rest = ":".join(g for g in match.groups()[3:] if g) if match[4] else ""
    if month > 12 and day <= 12:
        raise CellError(
            N_("“%(value)s” looks like month/day/year. Write dates as day/month/year (dd/mm/yyyy)."),
            value=text[:30],
        )
    try:
        return date(year, month, day), rest
    except ValueError as exc:
        raise CellError(N_("The date “%(value)s” does not exist."), value=text[:30]) from exc


def _check_year(value: date) -> date:
    if not 1900 <= value.year <= 2100:
        raise CellError(N_("The year %(year)d is not plausible."), year=value.year)
    return value


def to_date(value: Any) -> date:
    """dd/mm/yyyy, d/m/yyyy, yyyy-mm-dd or an Excel date cell; nothing that needs guessing."""
    if isinstance(value, datetime):
        if value.time() != time(0):
            raise CellError(N_("Expected a date without a time."))
        return _check_year(value.date())
    if isinstance(value, date):
        return _check_year(value)
    if isinstance(value, str):
        parsed, rest = _date_from_text(value.strip())
        if rest and rest.strip("0:"):
            raise CellError(N_("Expected a date without a time."))
        return _check_year(parsed)
    raise CellError(
        N_("Expected a date (dd/mm/yyyy), found a number. Format the cell as a date or type dd/mm/yyyy.")
    )


def to_local_datetime(value: Any) -> datetime:
    """A moment in Vietnam's time, from a date, a date and time, or an Excel date cell (naive)."""
    if isinstance(value, datetime):
        _check_year(value.date())
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return datetime.combine(_check_year(value), time(0))
    if isinstance(value, str):
        parsed, rest = _date_from_text(value.strip())
        parts = [int(p) for p in rest.split(":")] if rest else [0, 0]
        try:
            moment = time(*parts)
        except ValueError as exc:
            raise CellError(N_("The time “%(value)s” does not exist."), value=rest) from exc
        return datetime.combine(_check_year(parsed), moment)
    raise CellError(
        N_("Expected a date (dd/mm/yyyy), found a number. Format the cell as a date or type dd/mm/yyyy.")
    )


def to_phone(value: Any) -> str:
    """Vietnamese numbers: 0 and 9–10 digits; +84 and a leading zero lost by Excel are restored."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "".join(ch for ch in str(value) if ch not in " .-()")
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    if text.isdigit() and len(text) == 9 and not text.startswith("0"):
        text = "0" + text
    if not (text.isascii() and text.isdigit() and text.startswith("0") and len(text) in (10, 11)):
        raise CellError(
            N_("“%(value)s” is not a Vietnamese phone number (10 digits starting with 0)."),
            value=str(value)[:20],
        )
    return text


_SPELLINGS: dict[int, dict[str, Any]] = {}


def to_choice(value: Any, words: dict[Any, tuple[str, ...]]) -> Any:
    spellings = _SPELLINGS.get(id(words))
    if spellings is None:  # the word lists are module constants: fold them once
        spellings = _SPELLINGS[id(words)] = {header_key(s): m for m, forms in words.items() for s in forms}
    member = spellings.get(header_key(str(value)))
    if member is not None:
        return member
    raise CellError(
        N_("“%(value)s” is not one of: %(choices)s."),
        value=str(value)[:40],
        choices=", ".join(spellings[0] for spellings in words.values()),
    )


class Cells:
    """One row's values, converted on demand; a bad value is recorded against its row and column."""

    __slots__ = ("row", "dataset", "errors", "failed")

    def __init__(self, row: Row, dataset: Dataset, errors: list[RowError]) -> None:
        self.row = row
        self.dataset = dataset
        self.errors = errors
        self.failed = False

    @property
    def number(self) -> int:
        return self.row.number

    def given(self, key: str) -> bool:
        """Whether the file has this column at all (an absent column leaves the stored value alone)."""
        return key in self.row.cells

    def get(self, key: str, convert: Any = to_text, *, required: bool = False, **kwargs: Any) -> Any:
        value = self.row.cells.get(key)
        if value is INVALID:
            self.failed = True
            return None
        if value is None or (isinstance(value, str) and not value):
            if required:
                self.fail(key, N_("This cell must not be empty."))
            return None
        try:
            return convert(value, **kwargs)
        except CellError as exc:
            self.fail(key, exc.message_id, **exc.params)
            return None

    def fail(self, key: str, message_id: str, **params: Any) -> None:
        self.failed = True
        self.errors.append(RowError(self.row.number, self.dataset.header(key), message_id, params))


def read_rows(ctx: Context, table: Table, dataset: Dataset,
              read: Callable[[Cells], dict[str, Any]]) -> list[tuple[Cells, dict[str, Any]]]:
    """The rows of ``table`` that ``read`` passed (it fails a row's cells for what is wrong), read."""
    rows = []
    for row in table.rows:
        c = Cells(row, dataset, ctx.errors)
        spec = read(c)
        if not c.failed:
            rows.append((c, spec))
    return rows


def seen_before(c: Cells, seen: dict[Any, int], key: Any, column: str, message_id: str,
                **params: Any) -> bool:
    """Whether ``key`` stood on an earlier row of the file: then this row fails, naming that row
    (``%(row)d``); otherwise the key is remembered as this row's."""
    if key in seen:
        c.fail(column, message_id, **params, row=seen[key])
        return True
    seen[key] = c.number
    return False
