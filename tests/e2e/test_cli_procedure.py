"""`wenze deadline`, `profiles`, `profile show`, `calendar import` and `deadlines` as scripts use them."""

import json
from datetime import date

import pytest

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.e2e.test_cli import wenze
from tests.unit.procedure_helpers import PAPER
from wenze_desktop.services import Workspace


def test_deadline_working_days_over_national_day():
    result = wenze("deadline", "--from", "2026-09-28", "--working-days", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2026-10-08"


@pytest.mark.parametrize("args, due", [(["--days", "5"], "2026-10-08"), (["--months", "1"], "2026-10-28")])
def test_deadline_days_and_months(args, due):
    result = wenze("deadline", "--from", "2026-09-26" if "--days" in args else "2026-09-28", *args, "--json")
    assert json.loads(result.stdout) == {"due": due, "provisional": False, "unknown_years": []}


def test_deadline_into_2027_is_provisional_and_says_so():
    result = wenze("deadline", "--from", "2026-12-20", "--working-days", "30", "--json")
    assert json.loads(result.stdout) == {"due": "2027-01-29", "provisional": True, "unknown_years": [2027]}
    plain = wenze("deadline", "--from", "2026-12-20", "--working-days", "30")
    assert plain.stdout.strip() == "2027-01-29" and "暂定" in plain.stderr


def test_deadline_rejects_a_bad_date():
    result = wenze("deadline", "--from", "2026-02-30", "--working-days", "3")
    assert result.returncode != 0 and "不是日期" in result.stderr


def test_profiles_lists_all_seven():
    listed = json.loads(wenze("profiles", "--json").stdout)
    assert sorted(p["id"] for p in listed) == ["bx2019", "ccp2016", "gz2009", "jc2017", "jt2019", "sh2022",
                                               "wf2011"]
    assert next(p for p in listed if p["id"] == "gz2009")["forms"] == 8


def test_profile_show():
    shown = json.loads(wenze("profile", "show", "wf2011", "--json").stdout)
    assert shown["appeal"]["window_working_days"] == 15
    text = wenze("profile", "show", "gz2009").stdout
    assert "诫勉谈话（第十四条（一））" in text and "3个工作日" in text
    missing = wenze("profile", "show", "xx2099")
    assert missing.returncode != 0 and "gz2009" in missing.stderr


def test_profile_text_prints_the_regulations_own_words():
    article = wenze("profile", "text", "wf2011", "第十一条")
    assert article.returncode == 0 and "不得因被问责当事人申辩而从重问责" in article.stdout
    paragraph = wenze("profile", "text", "gz2009", "第二十四条第二款").stdout
    assert "情况特殊的" in paragraph and "根据调查报告" not in paragraph
    whole = wenze("profile", "text", "jc2017").stdout
    assert "【激励积分办法】" in whole and "第十九条" in whole
    wrong = wenze("profile", "text", "wf2011", "第九十九条")
    assert wrong.returncode == 7 and "没有「第九十九条」" in wrong.stderr and "Traceback" not in wrong.stderr


def test_calendar_import_makes_workspace_deadlines_exact(data_dir, workspace, tmp_path):
    ws = Workspace(workspace[0])
    case_id = ws.cases.create(profile="gz2009", title="跨年案件", clue_source="media", received_on=date(2026, 12, 1),
                              respondents=[{"kind": "person", "name": "张三", "unit": "某局", "post": "局长"}])
    ws.procedure.perform(case_id, "preliminary_check", on=date(2026, 12, 18))
    ws.procedure.perform(case_id, "file_case", on=date(2026, 12, 20), approved_by="书记", paper_ref=PAPER)
    ws.close()
    common = ["--data-dir", str(data_dir), "--user", ADMIN]
    before = wenze("deadline", "--from", "2026-12-20", "--working-days", "30", "--json", *common,
                   stdin=ADMIN_PASSWORD + "\n")
    assert json.loads(before.stdout)["provisional"] is True

    bad = tmp_path / "bad.toml"
    bad.write_text('year = 2027\nholidays = ["2027-13-01"]\n', encoding="utf-8")
    refused = wenze("calendar", "import", str(bad), *common, stdin=ADMIN_PASSWORD + "\n")
    assert refused.returncode == 7 and "不是日期" in refused.stderr

    good = tmp_path / "2027.toml"
    good.write_text('year = 2027\nholidays = ["2027-01-01", "2027-02-06..2027-02-12"]\nworkdays = ["2027-02-14"]\n',
                    encoding="utf-8")
    imported = wenze("calendar", "import", str(good), *common, stdin=ADMIN_PASSWORD + "\n")
    assert imported.returncode == 0, imported.stderr
    after = wenze("deadline", "--from", "2026-12-20", "--working-days", "30", "--json", *common,
                  stdin=ADMIN_PASSWORD + "\n")
    assert json.loads(after.stdout) == {"due": "2027-02-01", "provisional": False, "unknown_years": []}
    board = json.loads(wenze("deadlines", *common, "--json", stdin=ADMIN_PASSWORD + "\n").stdout)
    report = next(d for d in board if d["deadline"] == "report")
    assert report["due"] == "2027-02-01" and report["provisional"] is False
    listed = wenze("calendar", "list", *common, stdin=ADMIN_PASSWORD + "\n")
    assert "2027" in listed.stdout and "2027.toml" in listed.stdout
