"""Encrypted storage: SQLCipher engine, key slots, migrations, backup and restore."""
