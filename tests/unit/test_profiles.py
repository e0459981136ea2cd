"""Every regulation profile is a sound procedure, and a few facts agree with the regulations' own texts."""

from __future__ import annotations

import pytest

from wenze_desktop.procedure.validate import problems
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.rules.texts import load_text

EXPECTED = ["bx2019", "ccp2016", "gz2009", "jc2017", "jt2019", "sh2022", "wf2011"]


def test_all_seven_profiles_are_present():
    missing = sorted(set(EXPECTED) - set(profile_ids()))
    assert not missing, f"missing profiles: {missing}"


@pytest.mark.parametrize("profile_id", profile_ids())
def test_profile_structure(profile_id):
    profile = load_profile(profile_id)
    assert profile.id == profile_id
    assert problems(profile) == []


def _effect(profile_id: str, form_name: str, restriction: str):
    profile = load_profile(profile_id)
    form = next(f for f in profile.forms if f.name == form_name)
    return [e for e in profile.after_effects if e.covers(form) and e.restriction == restriction]


def test_gz2009_facts():
    gz = load_profile("gz2009")
    assert gz.document_number == "穗办〔2009〕6号"
    assert len(gz.forms) == 8 and gz.forms[0].name == "诫勉谈话" and gz.forms[-1].name == "免职或建议免职"
    assert {(d.id, d.working_days) for d in gz.deadlines} >= {("notice", 3), ("explanation", 7), ("report", 30),
                                                              ("service", 3), ("execution", 15)}
    [promotion] = _effect("gz2009", "通报批评", "no_promotion")
    assert promotion.months == 12 and promotion.article == "第十四条第三款"
    assert gz.appeal.execution_pauses == "may" and gz.appeal.execution_article == "第二十八条第二款"
    assert len(gz.decision_document.elements) >= 7


def test_wf2011_facts():
    wf = load_profile("wf2011")
    assert wf.appeal.window_working_days == 15 and wf.appeal.window_article.startswith("第十三条")
    assert wf.appeal.execution_pauses == "no" and wf.appeal.execution_article.startswith("第十四条")
    assert wf.procedure.min_investigators == 2 and wf.procedure.investigators_article.startswith("第八条")
    assert wf.procedure.no_harsher_article.startswith("第十一条")
    investigation = next(d for d in wf.deadlines if d.action == "submit_report")
    assert (investigation.working_days, investigation.max_total_working_days) == (10, 30)
    assert {f.tier for f in wf.forms if f.tier} == {"light", "heavier", "serious"}
    assert wf.repeat_rule() is not None and wf.repeat_rule().months == 12
    assert [e.months for e in _effect("wf2011", "免职", "no_promotion")] == [36]


def test_jt2019_facts():
    assert [e.months for e in _effect("jt2019", "诫勉", "no_promotion")] == [6]
    jt = load_profile("jt2019")
    assert any(d.months == 1 and d.trigger == "decide" for d in jt.deadlines)
    assert jt.repeat_rule().article == "第十一条（五）"
    assert any(t.path == "simplified" for t in jt.transitions)


def test_other_profiles_facts():
    assert load_profile("sh2022").status == "征求意见稿"
    assert {"unit", "person"} <= set(load_profile("sh2022").applies_to)
    ccp = load_profile("ccp2016")
    assert any(d.months == 1 for d in ccp.deadlines)
    assert {f.name for f in ccp.forms if f.applies_to == ("unit",)} >= {"检查", "改组"}
    jc = load_profile("jc2017")
    assert {d.days for d in jc.deadlines if d.id.startswith("rectify")} == {7, 30}
    assert any(t.path == "direct" for t in jc.transitions)
    assert [e.months for e in _effect("bx2019", "降职", "no_promotion")] == [24]


@pytest.mark.parametrize("profile_id", EXPECTED)
def test_form_names_are_the_texts_own_words(profile_id):
    """Each form's name occurs in the words of the article it cites; the document number in the text's preamble."""
    profile, text = load_profile(profile_id), load_text(profile_id)
    missing = [f"{f.name}（{f.article}）" for f in profile.forms
               if f.name.replace("、", "") not in "".join(p.text for p in text.find(f.article)).replace("、", "")]
    assert missing == []
    assert profile.document_number in "".join(preamble for _, preamble in text.preambles) + "".join(text.header)


def test_a_step_the_text_lacks_has_a_reading_instead_of_an_article():
    """bx2019 says nothing of archiving: its 归档 step gives a reading, not a borrowed article."""
    import copy

    from wenze_desktop.procedure.citations import SILENT, basis
    from wenze_desktop.rules.profiles import parse_profile

    bx = load_profile("bx2019")
    archived = bx.step("archived")
    assert archived.article == "" and "未规定归档" in archived.reading and basis(archived.article) == SILENT
    both = copy.deepcopy(bx.raw)
    next(s for s in both["steps"] if s["id"] == "archived")["article"] = "第五条"
    assert any("not both" in p for p in problems(parse_profile(both)))
    neither = copy.deepcopy(bx.raw)
    next(s for s in neither["steps"] if s["id"] == "archived")["reading"] = ""
    assert any("step archived" in p for p in problems(parse_profile(neither)))
