"""The case registry: which cases match a filter, in which order (as row keys), and their display rows by page.

The GUI's table model holds only the keys (case rowids, stable while the workspace is open) and asks for rows a
page at a time, so 100,000 cases cost a list of integers. Every filter and sort column has an index; the text
search goes through the trigram index of storage/search.py (words of any length, one character included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from wenze_desktop.rules.profiles import all_profiles, load_profile
from wenze_desktop.security.permissions import Permission
from wenze_desktop.services.context import ServiceContext
from wenze_desktop.storage.search import match_expression

# sort key -> column; nullable columns list their empty rows last whatever the direction
SORT_COLUMNS = {"number": "number", "title": "title", "regulation": "regulation_id", "step": "step",
                "next_due": "next_due", "handler": "handler_id", "updated": "updated_at", "created": "created_at"}
NULLABLE = {"next_due", "handler_id"}
FEW_HITS = 2000  # below this many search hits their rows are looked up; above, picked from the sorted index


@dataclass(frozen=True)
class RegistryFilter:
    # words, each a substring of number, title, respondent names, facts, evidence, clues or attachment names
    text: str = ""
    regulation_id: str | None = None
    step: str | None = None
    handler_id: str | None = None
    overdue: bool = False  # the next open deadline has passed
    due_within: int | None = None  # the next open deadline falls within this many days from today (not overdue)

    @property
    def searching(self) -> bool:
        return bool(self.text.strip())


@dataclass(frozen=True)
class RegistryRow:
    key: int
    case_id: str
    number: str
    title: str
    regulation_id: str
    regulation: str  # the regulation's short title
    respondents: str
    step: str
    step_label: str
    next_due: date | None
    next_label: str
    provisional: bool
    handler: str

    def days_left(self, today: date) -> int | None:
        return None if self.next_due is None else (self.next_due - today).days

    def overdue(self, today: date) -> bool:
        return self.next_due is not None and self.next_due < today


def step_choices(regulation_id: str | None = None) -> list[tuple[str, str]]:
    """(step id, label) for the step filter: one regulation's steps, or every step id once."""
    profiles = [load_profile(regulation_id)] if regulation_id else all_profiles()
    seen: dict[str, str] = {}
    for profile in profiles:
        for step in profile.steps:
            seen.setdefault(step.id, step.label)
    return list(seen.items())


@dataclass
class RegistryService:
    ctx: ServiceContext

    def _connection(self):
        self.ctx.require(Permission.CASE_READ)
        return self.ctx.workspace.engine.connect()

    def keys(self, flt: RegistryFilter = RegistryFilter(), sort: str = "updated", descending: bool = True,
             today: date | None = None) -> list[int]:
        """The keys of every matching case in order (an empty list when a search word cannot match)."""
        column = SORT_COLUMNS[sort]
        today = today or self.ctx.clock().astimezone().date()
        with self._connection() as conn:
            raw = conn.connection.driver_connection  # plain tuples: 100,000 keys in milliseconds, not a tenth of a s
            where, params = self._where(flt, today)
            hits = None
            if flt.searching:
                expression = match_expression(flt.text, lambda prefix: self._terms(raw, prefix))
                if expression is None:
                    return []
                hits = [k for (k,) in raw.execute("SELECT rowid FROM case_search WHERE case_search MATCH ?",
                                                  (expression,))]
                if len(hits) <= FEW_HITS:  # look the few rows up; many are cheaper to pick from the sorted index
                    where += f" AND rowid IN ({','.join(map(str, hits))})"
                    hits = None
            keys = self._ordered(raw, where, params, column, "DESC" if descending else "ASC")
        if hits is not None:
            wanted = set(hits)
            keys = [k for k in keys if k in wanted]
        return keys

    @staticmethod
    def _ordered(raw, where: str, params: tuple, column: str, direction: str) -> list[int]:
        order = f"ORDER BY {column} {direction}, rowid {direction}"
        if column not in NULLABLE:
            return [k for (k,) in raw.execute(f"SELECT rowid FROM case_file WHERE {where} {order}", params)]
        # Two index walks instead of "NULLS LAST", which SQLite would sort without its index.
        keys = [k for (k,) in raw.execute(
            f"SELECT rowid FROM case_file WHERE {where} AND {column} IS NOT NULL {order}", params)]
        keys += [k for (k,) in raw.execute(
            f"SELECT rowid FROM case_file WHERE {where} AND {column} IS NULL ORDER BY rowid", params)]
        return keys

    @staticmethod
    def _where(flt: RegistryFilter, today: date) -> tuple[str, tuple]:
        clauses, params = ["1"], []
        for column, value in (("regulation_id", flt.regulation_id), ("step", flt.step),
                              ("handler_id", flt.handler_id)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if flt.overdue:
            clauses.append("next_due < ?")
            params.append(today.isoformat())
        if flt.due_within is not None:
            clauses.append("next_due BETWEEN ? AND ?")
            params += [today.isoformat(), (today + timedelta(days=flt.due_within)).isoformat()]
        return " AND ".join(clauses), tuple(params)

    @staticmethod
    def _terms(raw, prefix: str) -> list[str]:
        """The indexed trigrams that start with a one- or two-character word (a range scan of the vocabulary)."""
        return [t for (t,) in raw.execute(
            "SELECT term FROM case_search_terms WHERE term >= ? AND term < ?", (prefix, prefix + "\U0010ffff"))]

    def rows(self, keys: list[int]) -> dict[int, RegistryRow]:
        """Display rows for some keys (one page); keys of cases that no longer exist are left out."""
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        sql = ("SELECT c.rowid, c.id, c.number, c.title, c.regulation_id, c.step, c.next_due, u.display_name, "
               "(SELECT group_concat(r.name, '、') FROM respondent r WHERE r.case_id = c.id), "
               "(SELECT d.label || char(31) || d.provisional FROM case_deadline d "
               " WHERE d.case_id = c.id AND d.is_open ORDER BY d.due LIMIT 1) "
               f"FROM case_file c LEFT JOIN staff_user u ON u.id = c.handler_id WHERE c.rowid IN ({marks})")
        with self._connection() as conn:
            found = conn.exec_driver_sql(sql, tuple(keys)).fetchall()
        rows = {}
        for key, case_id, number, title, reg, step, due, handler, names, nxt in found:
            profile = load_profile(reg)
            label, _, provisional = (nxt or "").partition("\x1f")
            rows[key] = RegistryRow(key, case_id, number, title, reg, profile.short_title, names or "", step,
                                    profile.step_label(step), date.fromisoformat(due) if due else None, label,
                                    provisional == "1", handler or "")
        return rows

    def handlers(self) -> list[tuple[str, str]]:
        """(user id, display name) of everyone who handles at least one case, for the handler filter."""
        with self._connection() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(
                "SELECT u.id, u.display_name FROM staff_user u WHERE EXISTS "
                "(SELECT 1 FROM case_file c WHERE c.handler_id = u.id) ORDER BY u.display_name")]
