"""Alembic, driven from the application over its own encrypted connection."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from wenze_desktop.paths import migrations_dir
from wenze_desktop.storage.engine import begin_immediate_raw


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def known_revisions() -> set[str]:
    return {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(engine: Engine, action, revision: str) -> None:
    """All the migrations in one transaction: one that fails (or a process killed half way) leaves the schema as
    it was. The driver would commit each DDL statement of its own accord outside an explicit transaction, so the
    transaction is begun on the driver's connection (``BEGIN IMMEDIATE``); Alembic, handed a connection already in
    a transaction, commits nothing itself."""
    cfg = _config()
    with engine.begin() as conn:
        begin_immediate_raw(conn.connection.dbapi_connection)
        cfg.attributes["connection"] = conn
        action(cfg, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)
