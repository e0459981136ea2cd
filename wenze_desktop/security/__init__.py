"""Accounts, roles and permissions, password policy, key derivation, login lockout, audit chain."""
