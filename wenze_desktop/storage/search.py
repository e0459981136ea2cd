"""The registry's full-text index: SQLite FTS5 with the trigram tokenizer over each case's number, title,
respondent names, facts, evidence (title, source, note), clues (provider, content) and attachment names, kept
current by triggers (whatever service or import writes the rows). This module is the one place its DDL lives;
a migration that changes the body drops the old definition and builds the new one.

The index row's rowid is the case's rowid. case_file has no INTEGER PRIMARY KEY, so only an in-place VACUUM could
renumber it: the app never runs one (backups use SQLite's page-copying backup API), and ``rebuild_statement``
restores the index should it ever be needed.

Trigram matching needs three characters. Shorter words are answered from the same index through its vocabulary
(``fts5vocab``, a range scan): a two-character word (most Chinese names and words) ORs every indexed trigram that
starts with it, a one-character word (a surname) every trigram that starts with that character. Each field ends
with a line break and the body with two spaces, so every character, even the last, starts a trigram.
"""

from __future__ import annotations

# What each case contributes to the index (revision 0011). The separators keep a word from matching across
# two fields or two records.
_PARTS = (
    "c.number", "c.title",
    "coalesce((SELECT group_concat(r.name, ' ') FROM respondent r WHERE r.case_id = c.id), '')",
    "c.facts",
    "coalesce((SELECT group_concat(e.title || ' ' || e.source || ' ' || e.note, char(10)) "
    "FROM evidence e WHERE e.case_id = c.id), '')",
    "coalesce((SELECT group_concat(k.provider || ' ' || k.content, char(10)) "
    "FROM clue k WHERE k.case_id = c.id), '')",
    "coalesce((SELECT group_concat(a.filename, char(10)) FROM attachment a WHERE a.case_id = c.id), '')",
)
BODY = " || char(10) || ".join(_PARTS) + " || '  '"
# Case parts whose rows feed the body: (trigger suffix, table, columns an update must touch to matter).
PART_TABLES = (("r", "respondent", "name"), ("e", "evidence", "title, source, note"),
               ("k", "clue", "provider, content"), ("f", "attachment", "filename"))

# The body as revision 0005 defined it (number, title, respondent names, facts): 0011's downgrade restores it.
BODY_0005 = ("c.number || char(10) || c.title || char(10) || "
             "coalesce((SELECT group_concat(r.name, ' ') FROM respondent r WHERE r.case_id = c.id), '') || "
             "char(10) || c.facts || ' '")
PART_TABLES_0005 = (("r", "respondent", "name"),)


def _reindex(case_id: str, when: str = "1") -> str:
    """Statements (for a trigger body) that replace one case's index row; nothing when the case is gone."""
    return (f"DELETE FROM case_search WHERE {when} AND rowid = (SELECT rowid FROM case_file WHERE id = {case_id}); "
            "INSERT INTO case_search(rowid, body) SELECT case_rowid, body FROM case_search_source "
            f"WHERE {when} AND case_id = {case_id}; ")


def _ddl(body: str, part_tables) -> tuple[str, ...]:
    statements = [
        "CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize='trigram', content='', contentless_delete=1)",
        "CREATE VIRTUAL TABLE case_search_terms USING fts5vocab(case_search, 'row')",
        f"CREATE VIEW case_search_source AS SELECT c.rowid AS case_rowid, c.id AS case_id, {body} AS body "
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
    ]
    for suffix, table, columns in part_tables:
        statements += [
            f"CREATE TRIGGER case_search_{suffix}i AFTER INSERT ON {table} BEGIN {_reindex('NEW.case_id')}END",
            # a row moved to another case leaves the old one's index too
            f"CREATE TRIGGER case_search_{suffix}u AFTER UPDATE OF {columns}, case_id ON {table} BEGIN "
            f"{_reindex('OLD.case_id', 'OLD.case_id IS NOT NEW.case_id')}{_reindex('NEW.case_id')}END",
            f"CREATE TRIGGER case_search_{suffix}d AFTER DELETE ON {table} BEGIN {_reindex('OLD.case_id')}END",
        ]
    return tuple(statements)


# Each migration builds the definition it was written for: 0005 the first (it imports SEARCH_DDL, which therefore
# stays 0005's), 0011 the current one (0011's downgrade returns to 0005's).
SEARCH_DDL_0005 = _ddl(BODY_0005, PART_TABLES_0005)
SEARCH_DDL_0011 = _ddl(BODY, PART_TABLES)
SEARCH_DDL = SEARCH_DDL_0005

SEARCH_DROP = (
    *(f"DROP TRIGGER IF EXISTS case_search_{suffix}{event}" for suffix, _t, _c in PART_TABLES for event in "iud"),
    "DROP TRIGGER IF EXISTS case_search_ad", "DROP TRIGGER IF EXISTS case_search_au",
    "DROP TRIGGER IF EXISTS case_search_ai",
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

    ``terms_with_prefix(prefix)`` returns the indexed trigrams that start with a one- or two-character word.
    Returns None when some word cannot match (a short word that starts no indexed trigram).
    """
    clauses = []
    # Quotes a clerk types around a phrase are not part of it (nor of any case text worth finding by them).
    for word in query.translate(QUOTES).split():
        if len(word) >= 3:
            clauses.append(_quoted(word))
        else:
            terms = terms_with_prefix(word.lower())
            if not terms:
                return None
            clauses.append("(" + " OR ".join(_quoted(t) for t in terms) + ")")
    return " AND ".join(clauses) if clauses else None


QUOTES = str.maketrans({q: " " for q in "\"“”'‘’「」『』"})


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
