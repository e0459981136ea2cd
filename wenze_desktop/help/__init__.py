"""The user manual (F1): hand-written screen pages in ``resources/manual/`` and regulation pages generated from the
profiles and their shipped texts (``manual.py``). No Qt here: the GUI shows what this package returns."""
