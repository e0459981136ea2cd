"""The profiles' [respondents] tables: roles and levels of responsibility in each regulation's own words."""

from __future__ import annotations

import pytest

from wenze_desktop.rules.profiles import ProfileError, load_profile, parse_profile, profile_ids
from wenze_desktop.rules.texts import load_text

EXPECTED = {
    "ccp2016": (("领导班子主要负责人", "直接主管的班子成员", "参与决策和工作的班子其他成员"), "第五条",
                ("全面领导责任", "主要领导责任", "重要领导责任"), "第五条"),
    "gz2009": (("主要负责人", "分管领导"), "第三条第三款", (), ""),
    "sh2022": (("主要领导", "分管领导", "科室负责人", "直接责任人"), "第八条（一）", (), ""),
    # The texts of these name no respondent roles or levels of responsibility.
    "bx2019": ((), "", (), ""),
    "jc2017": ((), "", (), ""),
    "jt2019": ((), "", (), ""),
    "wf2011": ((), "", (), ""),
}


@pytest.mark.parametrize("profile_id", sorted(EXPECTED))
def test_respondent_terms(profile_id):
    profile = load_profile(profile_id)
    got = (profile.respondent_roles, profile.respondent_roles_article, profile.responsibilities,
           profile.responsibilities_article)
    assert got == EXPECTED[profile_id]


def test_every_profile_is_covered():
    assert sorted(EXPECTED) == profile_ids()


@pytest.mark.parametrize("profile_id", sorted(EXPECTED))
def test_terms_are_the_words_of_their_article(profile_id):
    profile, text = load_profile(profile_id), load_text(profile_id)
    for terms, article in ((profile.respondent_roles, profile.respondent_roles_article),
                           (profile.responsibilities, profile.responsibilities_article)):
        words = "".join(p.text for p in text.find(article)) if article else ""
        assert [t for t in terms if t not in words] == []


def test_ccp2016_article_five_names_the_terms_together():
    """The three levels and the roles that carry them are one sentence of 第五条, not scattered words."""
    article = load_text("ccp2016").article("", "第五条").text
    for term in ("全面领导责任", "主要领导责任", "重要领导责任", "领导班子主要负责人", "直接主管的班子成员"):
        assert term in article


def _minimal(**respondents) -> dict:
    return {"id": "x", "title": "测试", "respondents": respondents}


def test_absent_table_gives_empty_lists():
    profile = parse_profile({"id": "x", "title": "测试"})
    assert profile.respondent_roles == () and profile.responsibilities == ()


@pytest.mark.parametrize("table", [
    {"roles": ["主要领导"]},  # no article
    {"roles": ["主要领导", "主要领导"], "roles_article": "第一条"},
    {"responsibilities": [""], "responsibilities_article": "第一条"},
])
def test_bad_tables_are_refused(table):
    with pytest.raises((ValueError, ProfileError)):
        parse_profile(_minimal(**table))
