"""The domain model (SQLAlchemy 2 typed ORM) and its vocabulary. No Qt, no I/O beyond the session."""
