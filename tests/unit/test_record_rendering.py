"""The registry of action fields renders every record in plain Chinese, and it is the one list everything reads."""

from __future__ import annotations

import re
from datetime import date

import pytest

from wenze_desktop.procedure import fields, guards
from wenze_desktop.procedure.actions import ACTIONS
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.services import walkthrough

ASCII_WORD = re.compile(r"[A-Za-z_]{2,}")
DEVELOPER = re.compile(r"[\[\]{}'\"<>]|None|True|False")
DOUBLED = re.compile(r"[。；，、：][。；，、：]")


KEYS = {k for action in ACTIONS for f in fields.fields_of(action) for k in (f.key, *f.stored_keys)} | {
    "respondent", "form", "date", "body", "attendees", "dissenting", "message", "filename", "attachment_id", "sha256",
    "held", "aggravation", "prior_case", "prior_on"}


def assert_plain(text: str, action: str, *, typed_latin: bool = False) -> None:
    """``typed_latin``: the values may hold Latin letters the clerk typed (档案号 WZ-2026-010), never a key."""
    assert text, action
    if typed_latin:
        words = set(re.findall(r"[A-Za-z_]+", text))
        assert not words & KEYS and not any("_" in w for w in words), (action, text)
    else:
        assert not ASCII_WORD.search(text), (action, text)
    assert not DEVELOPER.search(text), (action, text)
    assert not DOUBLED.search(text), (action, text)


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_action_of_every_profile_renders_in_plain_chinese(profile_id):
    profile = load_profile(profile_id)
    on = date(2026, 11, 27)
    for action in ACTIONS:
        data = walkthrough.sample_data(profile, action, on)
        typed = {"text": "本人陈述如下。\n第一，……；", "reason": "理由如下：", "summary": "已办理。"}
        data.update({k: v for k, v in typed.items() if k in fields.stored_keys(action)})
        if fields.spec(action, "forms"):  # several respondents: forms per person
            data["forms"] = [{"respondent": "张三", "form": "诫勉谈话"}, {"respondent": "李四", "forms": ["通报"]}]
        if action in ("decide", "decide_appeal"):  # what the service adds
            data["held"] = [{"respondent_id": "x", "respondent": "张三", "form_id": "f", "form": "诫勉谈话"}]
        if action == "decide":
            data["aggravation"] = [{"respondent": "张三", "message": "张三在12个月内曾被问责，应当从重。"}]
        if fields.is_signed(action):  # typed file names may hold Latin letters; this one does not
            data["paper_scan"] = {"attachment_id": "x", "filename": "呈批表扫描件", "sha256": "ab" * 32}
        assert_plain(fields.record_text(action, data, profile), action)


def test_values_read_as_people_write_them():
    profile = load_profile("gz2009")
    meeting = {"date": "2026-11-27", "body": "市委常委会议", "attendees": ["周书记", "林副书记"], "dissenting": []}
    assert fields.record_text("decide", {"meeting": meeting, "forms": ["诫勉谈话"]}, profile) == \
        "问责方式：诫勉谈话；集体讨论会议：2026年11月27日 市委常委会议，出席：周书记、林副书记，持反对意见：无"
    assert fields.record_text("declare_interest", {"staff": ["甲", "乙"], "interest": False}) == \
        "作出声明的调查人员：甲、乙；有利害关系：否"
    assert fields.record_text("decide_appeal", {"outcome": "modify", "reason": "过重。"}) == \
        "处理结果：变更；理由：过重"
    assert fields.record_text("decide_appeal", {"outcome": "维持"}) == "处理结果：维持"  # older records
    assert fields.record_text("extend_deadline", {"deadline": "report", "working_days": 15}, profile).startswith(
        "延长的期限：")
    assert "延长：15个工作日" in fields.record_text("extend_deadline", {"working_days": 15})
    assert fields.record_text("withdraw", {"served_on": "2026-03-05"}) == "撤项决定送达日期：2026年3月5日"
    assert fields.record_text("archive", {"shelf": "A-1"}) == "其他：A-1"  # an older record's unknown key


def test_guards_read_only_registered_fields():
    for name, spec in guards.GUARDS.items():
        registered = {k for action in ACTIONS for f in fields.fields_of(action) for k in (f.key, *f.stored_keys)}
        assert set(spec.reads) <= registered, name


def test_every_action_has_fields_and_every_signed_action_is_a_decision():
    from wenze_desktop.procedure.actions import DECIDING_ACTIONS

    assert all(fields.fields_of(a) for a in ACTIONS)
    assert {"file_case", "decide", "decide_appeal", "withdraw", "extend_deadline"} <= DECIDING_ACTIONS
    assert not DECIDING_ACTIONS & {"serve_notice", "record_defence", "archive"}


@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_field_a_guard_reads_is_recorded_by_its_action(profile_id):
    """A guard that reads a field the action cannot record would refuse forever (jc2017's direct 立项)."""
    for transition in load_profile(profile_id).transitions:
        for name in transition.guards:
            reads = set(guards.GUARDS[name].reads)
            assert not reads or reads & fields.stored_keys(transition.action), (transition.action, name)


def test_odd_values_never_read_as_python():
    odd = {"approved_by": ["书记", "副书记"], "summary": None, "paper_scan": None, "served_to": {"name": "张三"}}
    for action, data in (("file_case", odd), ("serve_notice", odd),
                         ("decide", {"meeting": {"date": None, "body": ["市委"], "attendees": ["甲"]},
                                     "forms": [{"respondent": "张三", "forms": None}], "aggravation": [None, 1]}),
                         ("decide", {"forms": 5})):
        text = fields.record_text(action, {k: v for k, v in data.items()}, load_profile("gz2009"))
        assert not DEVELOPER.search(text), text
