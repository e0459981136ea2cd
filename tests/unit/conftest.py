"""Fixtures shared by the unit tests of more than one module."""

from __future__ import annotations

import pytest

from tests.unit.transfer_helpers import befriend, office


@pytest.fixture
def offices(tmp_path, clock):
    """Two offices, 甲县纪委 and 乙市纪委, each trusting the other's key."""
    a, b = office(tmp_path, "甲县纪委", clock), office(tmp_path, "乙市纪委", clock)
    befriend(a, b)
    yield a, b
    a.close()
    b.close()
