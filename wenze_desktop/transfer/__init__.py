"""USB export/import packages."""
