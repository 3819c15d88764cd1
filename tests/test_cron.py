"""The cron schedule parser: 5 fields, descriptors and @every, with the first due time after a moment."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from circle.cron import ScheduleError, parse


def at(text: str) -> int:
    """Return the unix time of a UTC `YYYY-MM-DD HH:MM[:SS]`."""
    layout = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return int(datetime.strptime(text, layout).replace(tzinfo=timezone.utc).timestamp())


def due_times(schedule: str, start: str, count: int = 3) -> list[str]:
    """Return the next `count` due times after `start`, as UTC text."""
    moment, out = at(start), []
    for _ in range(count):
        moment = parse(schedule).next_after(moment)
        out.append(datetime.fromtimestamp(moment, timezone.utc).strftime("%a %Y-%m-%d %H:%M:%S"))
    return out


@pytest.mark.parametrize(("schedule", "start", "expected"), [
    ("*/15 * * * *", "2026-12-04 19:59:59",
     ["Fri 2026-12-04 20:00:00", "Fri 2026-12-04 20:15:00", "Fri 2026-12-04 20:30:00"]),
    ("0 9 * * mon-fri", "2026-12-04 10:00",  # a Friday, after 9:00: next is Monday
     ["Mon 2026-12-07 09:00:00", "Tue 2026-12-08 09:00:00", "Wed 2026-12-09 09:00:00"]),
    ("30 4 1,15 * 5", "2026-12-01 05:00",  # both day fields restricted: either day runs
     ["Fri 2026-12-04 04:30:00", "Fri 2026-12-11 04:30:00", "Tue 2026-12-15 04:30:00"]),
    ("0 0 29 feb *", "2026-01-01 00:00",
     ["Tue 2028-02-29 00:00:00", "Sun 2032-02-29 00:00:00", "Fri 2036-02-29 00:00:00"]),
    ("5-10/5 23 31 dec,jan 7", "2026-01-25 00:00",  # weekday 7 is Sunday, the 31st or a Sunday runs
     ["Sun 2026-01-25 23:05:00", "Sun 2026-01-25 23:10:00", "Sat 2026-01-31 23:05:00"]),
    ("@hourly", "2026-12-04 19:00", ["Fri 2026-12-04 20:00:00", "Fri 2026-12-04 21:00:00", "Fri 2026-12-04 22:00:00"]),
    ("@daily", "2026-12-04 00:00", ["Sat 2026-12-05 00:00:00", "Sun 2026-12-06 00:00:00", "Mon 2026-12-07 00:00:00"]),
    ("@weekly", "2026-12-04 00:00", ["Sun 2026-12-06 00:00:00", "Sun 2026-12-13 00:00:00", "Sun 2026-12-20 00:00:00"]),
    ("@every 30s", "2026-12-04 19:00:10",
     ["Fri 2026-12-04 19:00:40", "Fri 2026-12-04 19:01:10", "Fri 2026-12-04 19:01:40"]),
    ("@every 1h30m", "2026-12-04 19:00", ["Fri 2026-12-04 20:30:00", "Fri 2026-12-04 22:00:00",
                                          "Fri 2026-12-04 23:30:00"]),
])
def test_due_times(schedule: str, start: str, expected: list[str]):
    assert due_times(schedule, start) == expected


def test_a_due_time_is_strictly_after_the_moment():
    """A moment on a due minute gives the next one, so a claimed time is never due again."""
    assert parse("* * * * *").next_after(at("2026-12-04 20:00")) == at("2026-12-04 20:01")


@pytest.mark.parametrize(("schedule", "message"), [
    ("* * *", "5 fields"),
    ("60 * * * *", "minute field allows 0-59"),
    ("* 24 * * *", "hour field allows 0-23"),
    ("* * 0 * *", "day of month field allows 1-31"),
    ("* * * 13 *", "month field allows 1-12"),
    ("* * * * 8", "day of week field allows 0-7"),
    ("5-1 * * * *", "'5-1'"),
    ("*/0 * * * *", "step of the minute field"),
    ("x * * * *", "'x' is not a value of the minute field"),
    ("* * * foo *", "'foo' is not a value of the month field"),
    ("0 0 31 2 *", "matches no date"),
    ("@every", "@every needs a duration"),
    ("@every 10", "@every needs a duration"),
    ("@every 0s", "at least 1s"),
    ("@fortnightly", "unknown schedule '@fortnightly'"),
])
def test_errors_name_the_problem(schedule: str, message: str):
    with pytest.raises(ScheduleError, match=message):
        parse(schedule)
