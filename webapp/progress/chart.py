"""A small server-rendered SVG line chart of turnout over the day (no JavaScript library): the geometry only;
``templates/progress/_chart.html`` draws it."""

from __future__ import annotations

import dataclasses
from datetime import datetime, time
from decimal import Decimal

from webapp.progress.services import SlotFigures

WIDTH, HEIGHT = 340, 180
LEFT, RIGHT, TOP, BOTTOM = 34, 12, 12, 28
START, END = 6 * 60, 21 * 60  # the x axis runs from 06:00 to 21:00


@dataclasses.dataclass(frozen=True)
class Point:
    x: float
    y: float
    at: time
    value: Decimal
    stations: int


@dataclasses.dataclass(frozen=True)
class Chart:
    width: int
    height: int
    provisional: list[Point]
    confirmed: list[Point]
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    left: int
    right: int
    top: int
    bottom: int

    @property
    def empty(self) -> bool:
        return not self.provisional and not self.confirmed

    @staticmethod
    def path(points: list[Point]) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in points)


def _x(at: time) -> float:
    minutes = min(max(at.hour * 60 + at.minute, START), END)
    return LEFT + (WIDTH - LEFT - RIGHT) * (minutes - START) / (END - START)


def _y(value: Decimal) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - float(min(value, Decimal(100))) / 100)


def turnout_chart(series: list[SlotFigures], now: datetime) -> Chart:
    """Provisional and confirmed turnout (per cent of the lists of the stations that reported) at each report
    time that has figures."""
    provisional = [Point(_x(s.at), _y(s.percent), s.at, s.percent, s.reported)
                   for s in series if s.percent is not None]
    confirmed = [Point(_x(s.at), _y(s.confirmed_percent), s.at, s.confirmed_percent, s.confirmed)
                 for s in series if s.confirmed_percent is not None]
    x_ticks = [(_x(time(h)), f"{h:02d}h") for h in range(6, 22, 3)]
    y_ticks = [(_y(Decimal(v)), f"{v}%") for v in (0, 25, 50, 75, 100)]
    return Chart(WIDTH, HEIGHT, provisional, confirmed, x_ticks, y_ticks, LEFT, WIDTH - RIGHT, TOP,
                 HEIGHT - BOTTOM)
