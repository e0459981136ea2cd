"""The case registry: trigram search (one- and two-character Chinese words included; evidence, clues and
attachment names too), filters, sort, display rows."""

from datetime import date

import pytest

from tests.unit.procedure_helpers import new_case, walk
from wenze_desktop.errors import PermissionDenied
from wenze_desktop.rules.profiles import load_profile
from wenze_desktop.services import Workspace
from wenze_desktop.services import registry as registry_module
from wenze_desktop.services.context import CurrentUser, ServiceContext
from wenze_desktop.services.registry import RegistryFilter, RegistryService, step_choices
from wenze_desktop.storage import search

TODAY = date(2026, 11, 23)


@pytest.fixture
def ws(ctx):
    return Workspace(ctx)


@pytest.fixture
def registry(ctx):
    return RegistryService(ctx)


def numbers(registry, ws, keys) -> list[str]:
    rows = registry.rows(keys)
    return [rows[k].number for k in keys]


def find(registry, text, **kw) -> set[str]:
    keys = registry.keys(RegistryFilter(text=text, **kw), today=TODAY)
    return {row.number for row in registry.rows(keys).values()}


@pytest.fixture(params=[2000, 0], ids=["few-hits-looked-up", "many-hits-picked-from-index"])
def hit_strategy(request, monkeypatch):
    monkeypatch.setattr(registry_module, "FEW_HITS", request.param)


def test_search_matches_chinese_substrings_of_any_length(ws, registry, hit_strategy):
    a = ws.cases.create(profile="gz2009", title="关于对住建局欧阳明问责的案件", clue_source="complaint",
                        received_on=TODAY, number="A-1", respondents=[{"kind": "person", "name": "欧阳明"}],
                        facts="在棚户区改造项目中履职不力")
    ws.cases.create(profile="jt2019", title="关于对教育局问责的案件", clue_source="media", received_on=TODAY,
                    number="B-2", respondents=[{"kind": "person", "name": "李小红"}], facts="违规收费")
    assert a
    assert find(registry, "欧阳") == {"A-1"}  # two characters: a respondent's surname
    assert find(registry, "欧阳明") == {"A-1"}  # three: the trigram index directly
    assert find(registry, "棚户区改造") == {"A-1"}  # facts
    assert find(registry, "问责") == {"A-1", "B-2"}  # title
    assert find(registry, "小红") == {"B-2"}  # a pair at the very end of a name
    assert find(registry, "B-2") == {"B-2"}  # the case number
    assert find(registry, "问责 收费") == {"B-2"}  # every word must occur
    assert find(registry, "张飞") == set()  # nowhere
    assert find(registry, "欧") == {"A-1"}  # one character: a surname
    assert find(registry, "红") == {"B-2"}  # the last character of a field
    assert find(registry, "费") == {"B-2"}  # the last character of the facts
    assert find(registry, "a") == {"A-1"} and find(registry, "-") == {"A-1", "B-2"}  # any character, any case
    assert find(registry, "孙") == set() and find(registry, "孙 欧") == set()
    assert find(registry, "欧 明") == {"A-1"} and find(registry, "教 李") == {"B-2"}  # one-character words combine
    assert find(registry, '"欧阳" “棚户区”') == {"A-1"}  # quotes around words are not searched for
    assert find(registry, 'AND ( * -') == set()  # FTS syntax is text, never an error


def test_index_follows_edits_of_cases_and_respondents(ws, registry, ctx):
    case_id = new_case(ws, name="王建国")
    assert find(registry, "建国")
    ws.cases.update_case(case_id, title="关于对城管局问责的案件", facts="占道经营整治不力")
    assert find(registry, "城管局") and find(registry, "整治") and not find(registry, "对群众")
    rid = ws.cases.add_respondent(case_id, "person", name="赵铁柱")
    assert find(registry, "铁柱") and find(registry, "建国")
    with ctx.workspace.session() as s, s.begin():  # a respondent removed by any path leaves the index too
        s.connection().exec_driver_sql("DELETE FROM respondent WHERE id = ?", (rid,))
    assert not find(registry, "铁柱") and find(registry, "建国")


def test_rebuild_gives_the_same_answers(ws, registry, ctx):
    for name in ("钱学森", "邓稼先", "钱三强"):
        new_case(ws, name=name)
    before = find(registry, "钱"), find(registry, "学森"), find(registry, "钱三")
    with ctx.workspace.engine.begin() as conn:
        search.rebuild(conn)
    assert (find(registry, "钱"), find(registry, "学森"), find(registry, "钱三")) == before
    assert len(before[2]) == 1 and len(before[1]) == 1


def test_filters_by_regulation_step_handler_and_deadline(ws, registry, ctx, hit_strategy):
    idle = new_case(ws, "gz2009", name="甲")
    walked = new_case(ws, "gz2009", name="乙", received=date(2026, 9, 1))
    walk(ws, walked, until="filed", start=date(2026, 9, 1))  # filing starts the investigation's 3-day clock
    other = new_case(ws, "jt2019", name="丙")
    everything = registry.keys(today=TODAY)
    assert len(everything) == 3
    rows = registry.rows(everything)
    by_id = {row.case_id: row for row in rows.values()}
    assert by_id[walked].next_due is not None and by_id[walked].overdue(TODAY)
    assert by_id[walked].next_label and by_id[walked].step == "filed" and by_id[walked].step_label == "立项"
    assert by_id[idle].next_due is None and by_id[idle].respondents == "甲"
    assert by_id[other].regulation == load_profile("jt2019").short_title

    def ids(**kw):
        return {registry.rows([k])[k].case_id for k in registry.keys(RegistryFilter(**kw), today=TODAY)}

    assert ids(regulation_id="jt2019") == {other}
    assert ids(step="filed") == {walked}
    assert ids(overdue=True) == {walked}
    assert ids(due_within=30) == set()  # overdue is not "due within"
    assert ids(handler_id=ctx.user.id) == {idle, walked, other}
    assert registry.handlers() == [(ctx.user.id, ctx.user.display_name)]
    assert ids(regulation_id="gz2009", text="乙") == {walked}  # one character (the name), within the filter
    assert ids(regulation_id="jt2019", text="乙") == set()
    assert ids(regulation_id="gz2009", text="关于乙") == {walked}


def test_sort_by_deadline_puts_cases_without_one_last_both_ways(ws, registry):
    early = new_case(ws, name="早早", received=date(2026, 6, 1))
    walk(ws, early, until="filed", start=date(2026, 6, 1))
    late = new_case(ws, name="晚晚", received=date(2026, 10, 8))
    walk(ws, late, until="filed", start=date(2026, 10, 8))
    none = new_case(ws, name="无无")
    order = [registry.rows([k])[k].case_id for k in registry.keys(sort="next_due", descending=False)]
    assert order == [early, late, none]
    order = [registry.rows([k])[k].case_id for k in registry.keys(sort="next_due", descending=True)]
    assert order == [late, early, none]
    titles = [registry.rows([k])[k].title for k in registry.keys(sort="title", descending=False)]
    assert titles == sorted(titles)


def test_step_choices_cover_one_or_all_regulations():
    gz = dict(step_choices("gz2009"))
    assert gz["clue"] == "问责线索" and "archived" in gz
    everything = dict(step_choices())
    assert set(gz) <= set(everything)


def test_reading_the_registry_needs_case_read(ctx):
    stranger = ServiceContext(ctx.workspace, CurrentUser(None, "guest", "访客", ()), ctx.clock)
    with pytest.raises(PermissionDenied):
        RegistryService(stranger).keys()


def test_one_character_finds_a_surname_among_many(ws, registry):
    sun = new_case(ws, name="孙")  # a one-character name is the last word of its field
    sun_two = new_case(ws, name="孙悟空")
    others = [new_case(ws, name=name) for name in ("王五", "赵六", "钱七")]
    ids = {registry.rows([k])[k].case_id for k in registry.keys(RegistryFilter(text="孙"), today=TODAY)}
    assert ids == {sun, sun_two}
    assert len(registry.keys(today=TODAY)) == 2 + len(others)


def test_evidence_clues_and_attachment_names_are_searched_and_follow_edits(ws, registry, ctx):
    case_id = ws.cases.create(profile="gz2009", title="关于对某局问责的案件", clue_source="complaint",
                              received_on=TODAY, number="C-3", respondents=[{"kind": "person", "name": "周某"}],
                              provider="群众来信人钟无艳", clue_content="反映挪用扶贫专项资金")
    other = new_case(ws, name="吴某")
    assert find(registry, "扶贫专项") == {"C-3"} and find(registry, "钟无艳") == {"C-3"}  # the clue's text, provider
    evidence = ws.cases.add_evidence(case_id, "银行流水明细", source="县农商银行", note="显示转入个人账户")
    assert find(registry, "流水") == {"C-3"} and find(registry, "农商银行") == {"C-3"}
    assert find(registry, "个人账户") == {"C-3"}
    other_number = ws.cases.get_case(other).number
    attachment = ws.cases.add_attachment(other, "询问笔录-吴某.pdf", b"%PDF-1.4")
    assert find(registry, "询问笔录") == {other_number} and find(registry, ".pdf") == {other_number}

    ws.cases.update_evidence(evidence, title="会计凭证", note="")
    assert not find(registry, "流水") and not find(registry, "个人账户") and find(registry, "会计凭证") == {"C-3"}
    ws.cases.remove_evidence(evidence)
    assert not find(registry, "会计凭证") and find(registry, "扶贫专项") == {"C-3"}
    clue_id = ws.cases.add_clue(case_id, "media", TODAY, content="媒体报道违规招标")
    assert find(registry, "招标") == {"C-3"}
    ws.cases.update_clue(clue_id, content="媒体报道违规采购")
    assert not find(registry, "招标") and find(registry, "采购") == {"C-3"}
    ws.cases.remove_attachment(attachment)
    assert not find(registry, "询问笔录") and find(registry, "吴某")
    with ctx.workspace.session() as s, s.begin():  # a clue moved to another case by any path moves in the index
        s.connection().exec_driver_sql("UPDATE clue SET case_id = ? WHERE id = ?", (other, clue_id))
    assert find(registry, "采购") == find(registry, "吴某") and "C-3" not in find(registry, "采购")
    with ctx.workspace.session() as s, s.begin():
        s.connection().exec_driver_sql("DELETE FROM case_file WHERE id = ?", (case_id,))
    assert not find(registry, "扶贫专项")
