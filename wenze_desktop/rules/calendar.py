"""Deadlines in working days by the State Council holiday calendar.

Counting (民法典 第二百零一至二百零三条; 监察法实施条例 第二百八十四、二百八十五条):
- the triggering day is not counted; counting starts the next day;
- N 工作日 is the N-th working day after the trigger (make-up working days count; holidays and weekends do not);
- N 日 is trigger + N days, moved to the next working day when that day is a holiday or rest day;
- N 个月 is the same day number N months later (or that month's last day), moved past rest days as above.

``chinese_calendar.find_workday`` is not used: when the start day is a rest day it counts the next working day as
day 0. Years the library does not know are never guessed silently: they fall back to "weekends are rest days",
and every deadline that touched such a year says so (``provisional`` and ``unknown_years``). An administrator can
enter a year's published arrangement; entered years win over the library.
"""

from __future__ import annotations

import calendar as _month_calendar
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import chinese_calendar

from wenze_desktop.errors import ValidationError


@dataclass(frozen=True)
class YearArrangement:
    """One year's published holiday arrangement, entered by an administrator."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""

    @classmethod
    def from_toml(cls, text: str, source: str = "") -> YearArrangement:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ValidationError(f"节假日安排文件不是有效的 TOML：{error}") from error
        return cls.from_mapping(data, source=source)

    @classmethod
    def from_mapping(cls, data: Mapping, source: str = "") -> YearArrangement:
        year = data.get("year")
        if not isinstance(year, int) or not 1949 < year < 2200:
            raise ValidationError("节假日安排文件须写明年份，例如 year = 2027。")
        holidays = _parse_days(data.get("holidays", []), year, "holidays")
        workdays = _parse_days(data.get("workdays", []), year, "workdays")
        both = holidays & workdays
        if both:
            raise ValidationError(f"{_fmt(min(both))} 同时列为放假日和调休上班日，请核对国务院办公厅通知。")
        weekday_workdays = sorted(d for d in workdays if d.weekday() < 5)
        if weekday_workdays:
            raise ValidationError(f"调休上班日 {_fmt(weekday_workdays[0])} 不是周末；调休上班日只能是周六或周日。")
        if not holidays:
            raise ValidationError(f"{year} 年的安排没有任何放假日；请按国务院办公厅通知填写 holidays。")
        return cls(year, frozenset(holidays), frozenset(workdays), source)

    def to_mapping(self) -> dict:
        return {"year": self.year, "holidays": sorted(d.isoformat() for d in self.holidays),
                "workdays": sorted(d.isoformat() for d in self.workdays)}


def _fmt(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _parse_days(items: object, year: int, key: str) -> set[date]:
    if not isinstance(items, list):
        raise ValidationError(f"{key} 须是日期列表，例如 [\"{year}-01-01\", \"{year}-02-06..{year}-02-12\"]。")
    days: set[date] = set()
    for item in items:
        text = item.isoformat() if isinstance(item, date) else str(item)
        first, _, last = text.partition("..")
        try:
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError as error:
            raise ValidationError(
                f"{key} 中的「{text}」不是日期（格式 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）。") from error
        if end < start:
            raise ValidationError(f"{key} 中的区间「{text}」结束早于开始。")
        if start.year != year or end.year != year:
            raise ValidationError(f"{key} 中的「{text}」不在 {year} 年内。")
        while start <= end:
            days.add(start)
            start += timedelta(days=1)
    return days


def months_later(day: date, months: int) -> date:
    """The same day number ``months`` later (or earlier), or that month's last day if it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _month_calendar.monthrange(year, month)[1]))


@cache
def library_knows(year: int) -> bool:
    """Whether chinese-calendar has the State Council's arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@cache
def _library_workday(day: date) -> bool:
    return chinese_calendar.is_workday(day)


@dataclass
class WorkCalendar:
    """Working days from chinese-calendar, overridden by administrator-entered years."""

    arrangements: dict[int, YearArrangement] = field(default_factory=dict)

    @classmethod
    def with_years(cls, arrangements: Iterable[YearArrangement]) -> WorkCalendar:
        return cls({a.year: a for a in arrangements})

    def knows(self, year: int) -> bool:
        return year in self.arrangements or library_knows(year)

    def __post_init__(self) -> None:
        self._days: dict[date, bool] = {}  # arrangements do not change after construction

    def is_workday(self, day: date) -> bool:
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        entered = self.arrangements.get(day.year)
        if entered is not None:
            if day in entered.holidays:
                return False
            return day in entered.workdays or day.weekday() < 5
        if library_knows(day.year):
            return _library_workday(day)
        return day.weekday() < 5  # provisional: the caller records the unknown year

    def unknown_years(self, first: date, last: date) -> tuple[int, ...]:
        return tuple(y for y in range(first.year, last.year + 1) if not self.knows(y))

    # -- counting ------------------------------------------------------------------------------------------------

    def add_working_days(self, trigger: date, n: int) -> Due:
        if n < 1:
            raise ValueError("working-day periods are at least one day")
        day, counted = trigger, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return self._due(trigger, day)

    def add_days(self, trigger: date, n: int) -> Due:
        if n < 1:
            raise ValueError("day periods are at least one day")
        return self._due(trigger, self._next_workday_from(trigger + timedelta(days=n)))

    def add_months(self, trigger: date, n: int) -> Due:
        if n < 1:
            raise ValueError("month periods are at least one month")
        return self._due(trigger, self._next_workday_from(months_later(trigger, n)))

    def add(self, trigger: date, *, working_days: int = 0, days: int = 0, months: int = 0) -> Due:
        """One period, given in exactly one unit."""
        given = [(k, v) for k, v in (("working_days", working_days), ("days", days), ("months", months)) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of working_days, days, months")
        unit, amount = given[0]
        return getattr(self, f"add_{unit}")(trigger, amount)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when ``end`` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def _next_workday_from(self, day: date) -> date:
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def _due(self, trigger: date, day: date) -> Due:
        unknown = self.unknown_years(trigger + timedelta(days=1), day)
        return Due(day, bool(unknown), unknown)


@dataclass(frozen=True)
class Due:
    """A computed deadline. ``provisional`` when it rests on a year whose arrangement nobody has entered yet."""

    due: date
    provisional: bool = False
    unknown_years: tuple[int, ...] = ()

    def to_json(self) -> dict:
        return {"due": self.due.isoformat(), "provisional": self.provisional, "unknown_years": list(self.unknown_years)}

    def describe(self) -> str:
        text = _fmt(self.due)
        if self.provisional:
            years = "、".join(str(y) for y in self.unknown_years)
            text += f"（暂定：{years} 年节假日安排尚未录入，仅按周末推算）"
        return text
