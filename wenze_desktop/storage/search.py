"""The registry's full-text index: SQLite FTS5 with the trigram tokenizer over each case's number, title,
respondent names and facts, kept current by triggers (whatever service or import writes the rows).

The index row's rowid is the case's rowid. case_file has no INTEGER PRIMARY KEY, so only an in-place VACUUM could
renumber it: the app never runs one (backups use SQLite's page-copying backup API), and ``rebuild_statement``
restores the index should it ever be needed.

Trigram matching needs three characters; a two-character query (most Chinese names and words) is answered from
the same index by OR-ing every indexed trigram that starts with those two characters (read from ``fts5vocab``,
a range scan). Each body ends with a space so that a pair at the very end still starts a trigram.
"""

from __future__ import annotations

BODY = ("c.number || char(10) || c.title || char(10) || "
        "coalesce((SELECT group_concat(r.name, ' ') FROM respondent r WHERE r.case_id = c.id), '') || char(10) || "
        "c.facts || ' '")

SEARCH_DDL = (
    "CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize='trigram', content='', contentless_delete=1)",
    "CREATE VIRTUAL TABLE case_search_terms USING fts5vocab(case_search, 'row')",
    f"CREATE VIEW case_search_source AS SELECT c.rowid AS case_rowid, c.id AS case_id, {BODY} AS body "
    "FROM case_file c",
    "CREATE TRIGGER case_search_ai AFTER INSERT ON case_file BEGIN "
    "INSERT INTO case_search(rowid, body) SELECT case_rowid, body FROM case_search_source WHERE case_id = NEW.id; "
    "END",
    "CREATE TRIGGER case_search_au AFTER UPDATE OF number, title, facts ON case_file BEGIN "
    "DELETE FROM case_search WHERE rowid = OLD.rowid; "
    "INSERT INTO case_search(rowid, body) SELECT case_rowid, body FROM case_search_source WHERE case_id = NEW.id; "
    "END",
    "CREATE TRIGGER case_search_ad AFTER DELETE ON case_file BEGIN "
    "DELETE FROM case_search WHERE rowid = OLD.rowid; END",
    *(f"CREATE TRIGGER case_search_r{name} AFTER {event} ON respondent BEGIN "
      f"DELETE FROM case_search WHERE rowid = (SELECT rowid FROM case_file WHERE id = {row}.case_id); "
      "INSERT INTO case_search(rowid, body) SELECT case_rowid, body FROM case_search_source "
      f"WHERE case_id = {row}.case_id; END"
      for name, event, row in (("i", "INSERT", "NEW"), ("u", "UPDATE OF name, case_id", "NEW"),
                               ("d", "DELETE", "OLD"))),
)

SEARCH_DROP = (
    "DROP TRIGGER IF EXISTS case_search_ri", "DROP TRIGGER IF EXISTS case_search_ru",
    "DROP TRIGGER IF EXISTS case_search_rd", "DROP TRIGGER IF EXISTS case_search_ad",
    "DROP TRIGGER IF EXISTS case_search_au", "DROP TRIGGER IF EXISTS case_search_ai",
    "DROP VIEW IF EXISTS case_search_source", "DROP TABLE IF EXISTS case_search_terms",
    "DROP TABLE IF EXISTS case_search",
)


def is_search_table(name: str) -> bool:
    """The FTS5 table, its vocabulary view and its shadow tables (case_search_data, _idx …)."""
    return name == "case_search" or name.startswith("case_search_")


def rebuild_statement() -> str:
    return "INSERT INTO case_search(rowid, body) SELECT case_rowid, body FROM case_search_source"


def rebuild(connection) -> None:
    """Empty and refill the index (a DB-API or SQLAlchemy connection)."""
    connection.exec_driver_sql("INSERT INTO case_search(case_search) VALUES ('delete-all')")
    connection.exec_driver_sql(rebuild_statement())


def match_expression(query: str, terms_with_prefix) -> str | None:
    """The FTS5 expression for a user's query: every whitespace-separated word must occur (as a substring).

    ``terms_with_prefix(pair)`` returns the indexed trigrams that start with a two-character word.
    Returns None when some word cannot match (a one-character word, or a pair that occurs nowhere).
    """
    clauses = []
    # Quotes a clerk types around a phrase are not part of it (nor of any case text worth finding by them).
    for word in query.translate(QUOTES).split():
        if len(word) >= 3:
            clauses.append(_quoted(word))
        elif len(word) == 2:
            terms = terms_with_prefix(word.lower())
            if not terms:
                return None
            clauses.append("(" + " OR ".join(_quoted(t) for t in terms) + ")")
        else:
            return None
    return " AND ".join(clauses) if clauses else None


QUOTES = str.maketrans({q: " " for q in "\"“”'‘’「」『』"})


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
