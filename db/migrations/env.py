"""Alembic environment. The application passes its open SQLCipher connection in ``config.attributes``:
the database key never appears in a configuration file or on a command line."""

from alembic import context

from wenze_desktop.domain import models  # noqa: F401  (registers every table on the metadata)
from wenze_desktop.domain.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("Run migrations through the application (wenze_desktop.storage.migrations), "
                     "which opens the encrypted database with its key.")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
