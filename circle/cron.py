"""Cron schedules: the 5-field form (`minute hour day-of-month month day-of-week`, UTC), the `@hourly` family,
and `@every 30s`; `parse(text).next_after(t)` is the first due time after the unix time `t`.

Stdlib only. A field is a comma list of `*`, `N`, `A-B`, each with an optional `/STEP` (`N/STEP` runs from N
to the field's end); months and weekdays may be named (`jan`, `mon`); weekday 7 is Sunday, like 0. When both
day fields are restricted a day matching either runs (Vixie cron's rule).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# name, lowest, highest, names (numbered from `lowest`)
FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day of month", 1, 31, ()), ("month", 1, 12, MONTHS),
          ("day of week", 0, 7, WEEKDAYS))
DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
               "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
DURATION = re.compile(r"(\d+)([hms])")
UNITS = {"h": 3600, "m": 60, "s": 1}
# A schedule that matches no minute within this many days (31 February) never runs.
HORIZON_DAYS = 8 * 366


class ScheduleError(ValueError):
    """A schedule that cannot be read or never runs."""


@dataclass(frozen=True)
class Every:
    """`@every DURATION`: due every `seconds` seconds after the previous due time."""

    seconds: int

    def next_after(self, moment: float) -> int:
        """Return the first due time after `moment`."""
        return int(moment) + self.seconds


@dataclass(frozen=True)
class Cron:
    """A 5-field schedule: the allowed values of each field, in UTC."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    def day_matches(self, when: datetime) -> bool:
        """Tell whether the schedule runs on the day of `when`."""
        if when.month not in self.months:
            return False
        by_day = when.day in self.days
        by_weekday = (when.weekday() + 1) % 7 in self.weekdays
        if self.any_day or self.any_weekday:
            return by_day and by_weekday
        return by_day or by_weekday

    def next_after(self, moment: float) -> int:
        """Return the first due minute after `moment` (unix seconds)."""
        when = datetime.fromtimestamp(int(moment) // 60 * 60, timezone.utc) + timedelta(minutes=1)
        limit = when + timedelta(days=HORIZON_DAYS)
        while when < limit:
            if not self.day_matches(when):
                when = when.replace(hour=0, minute=0) + timedelta(days=1)
            elif when.hour not in self.hours:
                when = when.replace(minute=0) + timedelta(hours=1)
            elif when.minute not in self.minutes:
                when += timedelta(minutes=1)
            else:
                return int(when.timestamp())
        raise ScheduleError("the schedule matches no date")


Schedule = Every | Cron


def parse(text: str) -> Schedule:
    """Read a schedule, or raise ScheduleError saying what is wrong with it."""
    text = " ".join(text.split()).lower()
    if text.startswith("@every"):
        return Every(_duration(text[len("@every"):].strip()))
    if text.startswith("@"):
        if text not in DESCRIPTORS:
            raise ScheduleError(f"unknown schedule {text!r}; use {', '.join(DESCRIPTORS)} or @every DURATION")
        text = DESCRIPTORS[text]
    parts = text.split(" ")
    if len(parts) != 5:
        raise ScheduleError(f"a cron schedule has 5 fields (minute hour day month weekday), not {len(parts)}")
    values = [_field(part, *spec) for part, spec in zip(parts, FIELDS)]
    weekdays = frozenset(day % 7 for day in values[4])
    schedule = Cron(minutes=values[0], hours=values[1], days=values[2], months=values[3], weekdays=weekdays,
                    any_day=parts[2].startswith(("*", "?")), any_weekday=parts[4].startswith(("*", "?")))
    schedule.next_after(0)  # raises when no date ever matches
    return schedule


def _duration(text: str) -> int:
    """Return the seconds of a duration like `30s`, `5m` or `1h30m`."""
    pieces = DURATION.findall(text)
    if not text or "".join(n + u for n, u in pieces) != text:
        raise ScheduleError(f"@every needs a duration like 30s, 5m or 1h30m, not {text!r}")
    seconds = sum(int(number) * UNITS[unit] for number, unit in pieces)
    if seconds < 1:
        raise ScheduleError("@every needs a duration of at least 1s")
    return seconds


def _field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    """Return the values one field allows."""
    allowed: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        step = _number(step_text, name, names=(), low=0) if step_text else 1
        if step < 1:
            raise ScheduleError(f"the step of the {name} field must be at least 1")
        if span in ("*", "?"):
            first, last = low, high
        elif "-" in span:
            start, _, end = span.partition("-")
            first, last = _number(start, name, names, low), _number(end, name, names, low)
        else:
            first = _number(span, name, names, low)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ScheduleError(f"the {name} field allows {low}-{high}, not {item!r}")
        allowed.update(range(first, last + 1, step))
    return frozenset(allowed)


def _number(text: str, name: str, names: tuple[str, ...], low: int) -> int:
    """Return a field value given as a number or a name."""
    if text.isdigit():
        return int(text)
    if text in names:
        return names.index(text) + low
    raise ScheduleError(f"{text!r} is not a value of the {name} field")

