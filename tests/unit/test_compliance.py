"""The compliance matrices (docs/compliance/<id>.md): every article accounted for, and the files current."""

from __future__ import annotations

import pytest

from wenze_desktop.procedure.guards import GUARDS
from wenze_desktop.rules import compliance
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.rules.texts import load_text

PROFILES = profile_ids()


@pytest.mark.parametrize("profile_id", PROFILES)
def test_every_article_is_cited_or_explained(profile_id):
    assert compliance.gaps(profile_id) == []


@pytest.mark.parametrize("profile_id", PROFILES)
def test_mapping_entries_are_sound(profile_id):
    text = load_text(profile_id)
    entries = compliance.load_mapping(profile_id)
    assert entries, "docs/compliance/<id>.toml is missing"
    for entry in entries:
        assert entry.status in compliance.STATUS, entry
        assert entry.how, entry
        for citation in entry.cites:
            assert text.resolves(citation), citation


@pytest.mark.parametrize("profile_id", PROFILES)
def test_matrix_file_is_current(profile_id):
    """Regenerate with: python -m wenze_desktop.rules.compliance --write"""
    path = compliance.matrix_path(profile_id)
    assert path.is_file() and path.read_text(encoding="utf-8") == compliance.render(profile_id)


def test_matrix_lists_each_article_once_with_a_status():
    matrix = compliance.render("wf2011")
    text = load_text("wf2011")
    rows = [line for line in matrix.splitlines() if line.startswith("| 第")]
    assert len(rows) >= len([a for a in text.articles if a.key.startswith("第")])
    assert "未说明" not in matrix
    assert "不得因被问责当事人申辩而从重问责" in load_text("wf2011").words("第十一条")


def test_matrix_says_what_is_a_reading():
    readings = compliance.readings(load_profile("ccp2016"))
    assert any("调查人员" in r for r in readings)  # 条例 names no number of investigators


def test_every_guard_is_described_in_chinese():
    assert all(spec.what and not spec.what.isascii() for spec in GUARDS.values())
