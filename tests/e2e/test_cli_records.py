"""`wenze case history`, `case amend`, `case withdraw-record`: a case's 办理记录 on the command line, in plain
Chinese, corrected with a reason and withdrawn (the latest record only)."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.unit.procedure_helpers import new_case
from wenze_desktop import cli
from wenze_desktop.errors import ValidationError
from wenze_desktop.procedure.fields import Kind
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace
from wenze_desktop.services.walkthrough import walk


def wenze(capsys, data_dir, *args: str) -> tuple[int, str, str]:
    code = cli.main([*args, "--data-dir", str(data_dir), "--user", ADMIN], stdin=io.StringIO(ADMIN_PASSWORD + "\n"))
    out = capsys.readouterr()
    return code, out.out, out.err


def decided_case(workspace, profile: str = "gz2009") -> tuple[str, dict[str, int]]:
    """A case walked to its decision; its number and the sequence number of each action's latest record."""
    ws = Workspace(workspace[0])
    case_id = new_case(ws, profile)
    walk(ws.procedure, case_id, until="decided")
    view = ws.procedure.view(case_id)
    ws.close()  # the command opens the workspace itself
    return view.number, {e.action: e.seq for e in view.events}


def case_step(data_dir, number: str) -> str:
    with Workspace.open(data_dir, ADMIN, ADMIN_PASSWORD) as ws:
        return ws.procedure.view(ws.cases.id_of(number)).step


def test_history_shows_every_record_in_plain_chinese_with_who_recorded_it(workspace, data_dir, capsys):
    number, seqs = decided_case(workspace)
    code, out, err = wenze(capsys, data_dir, "case", "history", number)
    assert code == 0, err
    assert number in out and "当前步骤：问责决定" in out
    assert f"{seqs['decide']}  2026年3月11日  作出问责决定  录入人：管理员" in out
    assert "批准人：主要领导" in out and "调查人员：调查员甲、调查员乙" in out and "有利害关系：否" in out
    assert "集体讨论会议：2026年3月11日" in out and "出席：书记甲、副书记乙、委员丙" in out
    assert "approved_by" not in out and "attendees" not in out
    assert not re.findall(r"[A-Za-z_]+", out.replace(number, "")), "no ASCII key names (nor any other ASCII word)"
    assert not set("[{'\"") & set(out), "no brackets or quotes"
    lines = out.splitlines()
    assert [int(line.split()[0]) for line in lines if re.match(r"\d+  ", line)] == sorted(seqs.values())

    code, out, err = wenze(capsys, data_dir, "case", "history", number, "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["case"] == number and shown["step"] == "decided" and shown["withdrawn"] == []
    decision = next(r for r in shown["records"] if r["action"] == "decide")
    assert decision["action_label"] == "作出问责决定" and decision["recorded_by"] == "管理员"
    assert decision["on"] == "2026-03-11" and decision["data"]["forms"] == ["诫勉谈话"]
    assert decision["text"].startswith("问责方式：诫勉谈话；") and decision["revisions"] == []
    assert {"label": "决定机关", "text": "市委或市政府"} in decision["fields"]


def test_amending_the_decisions_date_keeps_the_old_version_with_the_reason(workspace, data_dir, capsys):
    number, seqs = decided_case(workspace)
    seq = str(seqs["decide"])
    code, out, err = wenze(capsys, data_dir, "case", "amend", number, seq, "--on", "2026-03-13",
                           "--reason", "决定日期录错，应为会后两日")
    assert code == 0, err
    assert "2026年3月13日  作出问责决定" in out and "〔已更正1次〕" in out

    code, out, _ = wenze(capsys, data_dir, "case", "history", number)
    assert "2026年3月13日  作出问责决定  录入人：管理员〔已更正1次〕" in out
    assert "决定日期录错" not in out and "--revisions" in out

    code, out, _ = wenze(capsys, data_dir, "case", "history", number, "--revisions")
    assert code == 0
    assert "第1次更正" in out and "理由：决定日期录错，应为会后两日" in out
    assert "更正前：2026年3月11日　问责方式：诫勉谈话" in out

    code, out, _ = wenze(capsys, data_dir, "case", "history", number, "--json")
    revision = next(r for r in json.loads(out)["records"] if r["action"] == "decide")["revisions"][0]
    assert revision["on"] == "2026-03-11" and revision["reason"] == "决定日期录错，应为会后两日"
    assert revision["by"] == "管理员" and revision["text"].startswith("问责方式：诫勉谈话")


def test_amend_by_chinese_label_reads_each_kind_of_value(workspace, data_dir, capsys):
    number, seqs = decided_case(workspace)
    code, out, err = wenze(capsys, data_dir, "case", "amend", number, str(seqs["decide"]), "--reason", "会议录错",
                           "--set", "集体讨论会议=2026年3月10日；书记甲、副书记乙；无；市委常委会",
                           "--set", "问责方式=通报批评", "--set", "重于调查报告建议的理由=另查明新的事实")
    assert code == 0, err
    assert "问责方式：通报批评" in out
    assert "集体讨论会议：2026年3月10日 市委常委会，出席：书记甲、副书记乙，持反对意见：无" in out
    assert "重于调查报告建议的理由：另查明新的事实" in out
    code, out, err = wenze(capsys, data_dir, "case", "amend", number, str(seqs["decide"]), "--reason", "改回建议的方式",
                           "--unset", "harsher_reason", "--set", "forms=诫勉谈话")
    assert code == 0, err
    assert "问责方式：诫勉谈话" in out and "重于调查报告建议的理由" not in out and "〔已更正2次〕" in out


def test_a_field_named_reason_and_an_extension_can_be_corrected(workspace, data_dir, capsys):
    ws = Workspace(workspace[0])
    case_id = new_case(ws, "gz2009")
    walk(ws.procedure, case_id, until="notified")
    ws.procedure.perform(case_id, "extend_deadline", on=date(2026, 3, 8), deadline="report", working_days=10,
                         approver="书记", reason="案情复杂", paper_ref="呈批〔2026〕2号")
    view = ws.procedure.view(case_id)
    ws.close()
    seq = str(view.last("extend_deadline").seq)
    code, out, err = wenze(capsys, data_dir, "case", "amend", view.number, seq, "--reason", "天数录错",
                           "--set", "延长=15个工作日", "--set", "延长理由=案情重大复杂")
    assert code == 0, err
    assert "延长：15个工作日" in out and "延长理由：案情重大复杂" in out
    code, _, err = wenze(capsys, data_dir, "case", "amend", view.number, seq, "--reason", "x", "--set", "延长=15")
    assert code == 7 and "15个工作日" in err


def test_amend_with_an_unknown_field_lists_the_actions_fields(workspace, data_dir, capsys):
    number, seqs = decided_case(workspace)
    code, out, err = wenze(capsys, data_dir, "case", "amend", number, str(seqs["decide"]), "--reason", "补录",
                           "--set", "会议纪要=第3号")
    assert code == 7 and out == ""
    assert "没有「会议纪要」这一项" in err and "问责方式、集体讨论会议" in err and "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["--on", "2026-03-13"], "--reason"),                                   # no reason
    (["--on", "2026-03-13", "--reason", "  "], "--reason"),                 # a blank one
    (["--on", "2026-02-30", "--reason", "日期录错"], "不是有效的日期"),
    (["--reason", "没写改什么"], "没有要更正的内容"),
    (["--set", "问责方式", "--reason", "x"], "登记项=内容"),
    (["--set", "集体讨论会议=2026-03-11;书记甲", "--reason", "x"], "持反对意见"),
    (["--set", "问责方式=[诫勉谈话", "--reason", "x"], "JSON"),
])
def test_amend_refuses_bad_input_with_exit_7_and_a_message(workspace, data_dir, capsys, args, message):
    number, seqs = decided_case(workspace)
    code, _, err = wenze(capsys, data_dir, "case", "amend", number, str(seqs["decide"]), *args)
    assert code == 7, err
    assert message in err and "Traceback" not in err


def test_a_correction_the_regulation_refuses_exits_9(workspace, data_dir, capsys):
    number, seqs = decided_case(workspace, "wf2011")
    code, _, err = wenze(capsys, data_dir, "case", "amend", number, str(seqs["assign_investigators"]),
                         "--set", "调查人员=调查员甲", "--reason", "只有一人")
    assert code == 9
    assert "不再符合规定" in err and "2 名" in err
    code, out, _ = wenze(capsys, data_dir, "case", "history", number)
    assert "已更正" not in out


def test_only_the_latest_record_can_be_withdrawn_and_the_case_returns_a_step(workspace, data_dir, capsys):
    number, seqs = decided_case(workspace)
    code, _, err = wenze(capsys, data_dir, "case", "withdraw-record", number, str(seqs["submit_report"]),
                         "--reason", "录错")
    assert code != 0 and "只能撤回本案最新的一条记录" in err
    assert case_step(data_dir, number) == "decided"

    code, _, err = wenze(capsys, data_dir, "case", "withdraw-record", number, str(seqs["decide"]))
    assert code == 7 and "--reason" in err

    code, out, err = wenze(capsys, data_dir, "case", "withdraw-record", number, str(seqs["decide"]),
                           "--reason", "决定尚未作出，误录")
    assert code == 0, err
    assert "作出问责决定" in out and "案件回到「调查报告」步骤" in out
    assert case_step(data_dir, number) == "reported"

    code, out, _ = wenze(capsys, data_dir, "case", "history", number)
    assert "已撤回的记录（1 条）" in out
    assert f"〔已撤回〕{seqs['decide']}  2026年3月11日  作出问责决定  录入人：管理员" in out
    assert "撤回理由：决定尚未作出，误录（管理员，" in out
    shown = json.loads(wenze(capsys, data_dir, "case", "history", number, "--json")[1])
    assert [r["reason"] for r in shown["withdrawn"]] == ["决定尚未作出，误录"]
    assert all(r["action"] != "decide" for r in shown["records"])


def test_a_missing_case_or_record_is_named(workspace, data_dir, capsys):
    number, _ = decided_case(workspace)
    code, _, err = wenze(capsys, data_dir, "case", "history", "gz2009-2099-9999")
    assert code == 7 and "找不到编号为「gz2009-2099-9999」的案件" in err
    code, _, err = wenze(capsys, data_dir, "case", "amend", number, "99", "--on", "2026-03-13", "--reason", "x")
    assert code == 7 and "没有序号为 99 的办理记录" in err
    code, _, err = wenze(capsys, data_dir, "case", "withdraw-record", number, "最后", "--reason", "x")
    assert code == 7 and "不是办理记录的序号" in err


def test_usage_errors_are_in_chinese(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["case", "amend", "gz2009-2026-0001"])
    assert exited.value.code == 2 and "缺少参数" in capsys.readouterr().err
    assert cli.main(["case"]) == 7 and "wenze case history" in capsys.readouterr().err


PROFILE = load_profile("gz2009")


@pytest.mark.parametrize("action, key, text, stored", [
    ("assign_investigators", "调查人员", "张三、李四,王五，赵六\n钱七",
     {"staff": ["张三", "李四", "王五", "赵六", "钱七"]}),
    ("declare_interest", "有利害关系", "是", {"interest": True}),
    ("declare_interest", "interest", "false", {"interest": False}),
    ("withdraw", "撤项决定送达日期", "2026年3月9日", {"served_on": "2026-03-09"}),
    ("preliminary_check", "事项类别", "重大问题、复杂事项", {"severity": "major"}),
    ("decide_appeal", "处理结果", "维持", {"outcome": "uphold"}),
    ("decide", "问责方式", '[{"respondent": "张三", "forms": ["诫勉谈话"]}]',
     {"forms": [{"respondent": "张三", "forms": ["诫勉谈话"]}]}),
    ("decide", "集体讨论会议", "2026-03-11;甲、乙;乙",
     {"meeting": {"date": "2026-03-11", "attendees": ["甲", "乙"], "dissenting": ["乙"]}}),
    ("extend_deadline", "延长", "30日", {"working_days": None, "days": 30}),
    ("extend_deadline", "working_days", "15", {"working_days": 15, "days": None}),
    ("extend_deadline", "延长的期限", "完成调查、提交调查报告", {"deadline": "report"}),
])
def test_values_are_read_by_the_fields_kind(action, key, text, stored):
    from wenze_desktop.cli_records import changes_of

    assert changes_of(action, [(key, text)], [], PROFILE) == stored


@pytest.mark.parametrize("action, key, text", [
    ("declare_interest", "有利害关系", "也许"), ("withdraw", "served_on", "2026-13-01"),
    ("preliminary_check", "severity", "特别重大"), ("extend_deadline", "延长", "十天"),
    ("assign_investigators", "调查人员", "、，"), ("decide", "forms", '{"bad": '),
])
def test_bad_values_are_refused_in_chinese(action, key, text):
    from wenze_desktop.cli_records import changes_of

    with pytest.raises(ValidationError, match="「"):
        changes_of(action, [(key, text)], [], PROFILE)


def test_every_field_kind_has_a_reading():
    """A kind added to the registry without a reading here would be stored as plain text: fail loudly instead."""
    handled = {Kind.TEXT, Kind.LONG_TEXT, Kind.NAMES, Kind.TEAM, Kind.BOOL, Kind.DATE, Kind.CHOICE, Kind.SUGGEST,
               Kind.FORMS, Kind.MEETING, Kind.EXTENSION, Kind.DEADLINE, Kind.ATTACHMENT}
    assert set(Kind) == handled
