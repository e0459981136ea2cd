"""The compliance matrix of a regulation (``docs/compliance/<id>.md``): for each article of the shipped text, how the
program honours it or why it does not. Generated from the profile, the text and ``docs/compliance/<id>.toml`` (the
articles the profile does not cite, with their status); ``tests/unit/test_compliance.py`` keeps the files current.

``python -m wenze_desktop.rules.compliance [--write] [id …]`` prints (or writes) the matrices.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wenze_desktop.paths import app_root
from wenze_desktop.procedure.actions import ACTION_LABELS, DOCUMENT_KINDS, RESTRICTIONS, label_of
from wenze_desktop.procedure.guards import GUARDS
from wenze_desktop.rules.profiles import Profile, load_profile, profile_ids
from wenze_desktop.rules.texts import Article, RegulationText, cited_articles, load_text

STATUS = {
    "honoured": "落实",
    "outside": "不涉及案件办理",
    "office": "须由本单位把握",
    "not_built": "尚未实现",
}
PROCEDURE_RULES = {
    "investigators_article": "守卫：调查人员的最低人数",
    "recusal_article": "守卫：调查人员回避",
    "defence_article": "守卫：决定前须听取陈述申辩或记录其放弃",
    "no_harsher_article": "守卫：不得因申辩而从重，重于报告建议须写明理由",
    "collective_article": "守卫：问责决定须经集体讨论（登记会议）",
    "dissent_article": "守卫：集体决策中明确反对者不予问责",
    "suspension_article": "办理事项：暂停被调查人职务",
    "filing_article": "守卫：立项须经批准",
    "report_article": "守卫：调查报告须写明事实、结论和建议",
    "waiver_article": "守卫：放弃陈述申辩须本人明确表示",
}
APPEAL = {"article": "申诉程序", "window_article": "守卫：申诉期限", "outcomes_article": "守卫：复核/复查的处理结果",
          "execution_article": "守卫：申诉期间是否停止执行"}


@dataclass(frozen=True)
class Entry:
    cites: tuple[str, ...]
    status: str
    how: str


def mapping_path(profile_id: str) -> Path:
    return app_root() / "docs" / "compliance" / f"{profile_id}.toml"


def matrix_path(profile_id: str) -> Path:
    return app_root() / "docs" / "compliance" / f"{profile_id}.md"


def load_mapping(profile_id: str) -> list[Entry]:
    path = mapping_path(profile_id)
    if not path.is_file():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Entry(tuple(e["cites"]), e["status"], e.get("how", "").strip()) for e in data.get("entry", [])]


def _index(raw: dict, place: str):
    """The TOML table a place like ``transitions[3].order_article`` belongs to."""
    node = raw
    for name, index in re.findall(r"([a-z_]+)(?:\[(\d+)\])?", place.rsplit(".", 1)[0] if "." in place else ""):
        node = node.get(name, {})
        if index:
            node = node[int(index)]
    return node


def describe(profile: Profile, place: str) -> str:
    """What the profile does with the article it cites at ``place`` (Chinese, one phrase)."""
    raw, key = profile.raw, place.rsplit(".", 1)[-1]
    table = _index(raw, place)
    section = place.split(".")[0].split("[")[0]
    if section == "procedure":
        return PROCEDURE_RULES.get(key, f"办理规则（{key}）")
    if section == "transitions":
        label = table.get("label") or label_of(table.get("action", ""))
        if key == "order_article":
            before = "、".join(profile.step_label(s) for s in table.get("from", []))
            return f"守卫：「{label}」只能在「{before}」之后办理"
        docs = "、".join(DOCUMENT_KINDS.get(d, d) for d in table.get("documents", []))
        guards = [GUARDS[g].what for g in table.get("guards", []) if GUARDS[g].article_key == ""]
        extra = f"，产生{docs}" if docs else ""
        checks = f"，检查：{'、'.join(guards)}" if guards else ""
        return f"办理事项「{label}」{extra}{checks}"
    if section == "steps":
        return f"环节「{table.get('label', '')}」"
    if section == "deadlines":
        rule = next(d for d in profile.deadlines if d.id == table.get("id"))
        if key == "extension_article":
            return f"期限「{rule.label}」的延长（须批准）"
        return f"期限「{rule.label}」：{rule.describe_period()}（自动计算、提醒）"
    if section == "forms":
        if key == "tier_article":
            return f"问责方式分档：{table.get('name', '')}"
        if key == "applies_article":
            kind = "单位" if table.get("applies_to") == ["unit"] else "个人"
            return f"守卫：「{table.get('name', '')}」只适用于{kind}"
        return f"问责方式「{table.get('name', '')}」（决定时可选）"
    if section == "after_effects":
        restriction = RESTRICTIONS.get(table.get("restriction", ""), "")
        period = f"{table['months']}个月" if table.get("months") else "至决定当年年底"
        return f"影响期：{restriction}，{period}（决定后自动记录）"
    if section == "situations":
        return f"问责情形「{table.get('text', '')}」（登记、写入决定依据）"
    if section == "circumstances":
        kinds = {"aggravating": "从重", "mitigating": "从轻", "exempting": "免予问责"}
        return f"情节（{kinds.get(table.get('kind', ''), '')}）：{table.get('text', '')}（登记）"
    if section == "decision_document":
        if "elements" in place:
            return f"决定书要素「{table.get('label', '')}」（缺则不能送达、不能制发）"
        return "问责决定书的内容"
    if section == "appeal":
        return APPEAL.get(key, "申诉")
    if section == "archive":
        return "守卫：归档前须具备全部材料"
    simple = {"applies_to": "适用对象（登记）", "organs": "承办机关、决定机关（登记）",
              "respondents": "被问责人的职责、责任（案件表单的选项）", "clue_sources": "线索来源（登记）",
              "incentive_points": "激励积分（数据已录入，积分台账尚未实现）"}
    return simple.get(section, section)


def _references(profile: Profile, text: RegulationText) -> dict[tuple[str, str], list[str]]:
    found: dict[tuple[str, str], list[str]] = {}
    for place, citation in cited_articles(profile.raw):
        if place == "source":
            continue
        for passage in text.find(citation):
            units = _units(text, passage.article)
            what = describe(profile, place)
            scope = passage.citation.removeprefix(passage.article.document)
            for unit in units:
                entry = found.setdefault((unit.document, unit.key), [])
                line = what if passage.is_whole_article else f"{scope}：{what}"
                if line not in entry:
                    entry.append(line)
    return found


def _units(text: RegulationText, article: Article) -> list[Article]:
    """The articles a passage stands for: itself, or every unit of a document cited as a whole."""
    if article.key:
        return [article]
    return [a for a in text.articles if a.document == article.document]


def _mapped(text: RegulationText, entries: Iterable[Entry]) -> dict[tuple[str, str], list[Entry]]:
    found: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        for citation in entry.cites:
            for passage in text.find(citation):
                for unit in _units(text, passage.article):
                    found.setdefault((unit.document, unit.key), []).append(entry)
    return found


def gaps(profile_id: str) -> list[str]:
    """Articles neither cited by the profile nor explained in the mapping."""
    profile, text = load_profile(profile_id), load_text(profile_id)
    cited, mapped = _references(profile, text), _mapped(text, load_mapping(profile_id))
    return [a.citation for a in text.articles if (a.document, a.key) not in cited | mapped]


def _gist(article: Article, limit: int = 60) -> str:
    words = article.text.replace("\n", " ")
    return words if len(words) <= limit else words[:limit - 1] + "…"


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", "<br>")


def render(profile_id: str) -> str:
    profile, text = load_profile(profile_id), load_text(profile_id)
    cited, mapped = _references(profile, text), _mapped(text, load_mapping(profile_id))
    lines = [f"# 合规对照表：{profile.title}（{profile.id}）", "",
             f"条文：`resources/regulations/texts/{profile.id}.txt`（{text.source}）。",
             f"规定：`resources/regulations/{profile.id}.toml`。说明：`docs/compliance/{profile.id}.toml`。",
             "本表由 `python -m wenze_desktop.rules.compliance --write` 生成，测试保证它与规定、条文一致；"
             "不要手改。", ""]
    counts: dict[str, int] = {}
    body: list[str] = []
    document, chapter = None, None
    for article in text.articles:
        if article.document != document:
            document, chapter = article.document, None
            if document:
                body += ["", f"## {document}", ""]
        if article.chapter != chapter:
            chapter = article.chapter
            body += ["", f"### {chapter}" if chapter else "### （不分章）", "",
                     "| 条文 | 内容 | 状态 | 本系统如何落实 |", "|---|---|---|---|"]
        elif body and not body[-1].startswith("|"):
            body += ["| 条文 | 内容 | 状态 | 本系统如何落实 |", "|---|---|---|---|"]
        key = (article.document, article.key)
        uses = cited.get(key, [])
        notes = mapped.get(key, [])
        status = next((e.status for e in notes if e.status != "honoured"), "honoured" if uses else "")
        counts[status] = counts.get(status, 0) + 1
        how = "；".join(uses + [e.how for e in notes if e.how])
        body.append(f"| {article.key} | {_cell(_gist(article))} | {STATUS.get(status, '未说明')} | {_cell(how)} |")
    summary = "，".join(f"{STATUS.get(k, '未说明')} {v} 条" for k, v in sorted(counts.items(), key=lambda kv: kv[0]))
    lines += [f"共 {len(text.articles)} 条：{summary}。", ""]
    lines += body
    lines += ["", "## 未引条文的做法（条文未作规定，本系统按此处理）", ""]
    lines += [f"- {item}" for item in readings(profile)] or ["- 无"]
    lines += ["", "## 本规定的解读（规定文件的 notes）", ""]
    lines += [f"- {_cell(p.strip())}" for p in profile.notes.strip().split("\n") if p.strip()]
    return "\n".join(lines) + "\n"


def readings(profile: Profile) -> list[str]:
    """What the program refuses where the text gives no article: every reading the profile's refusals contain
    (procedure/refusals.py walks them all), one line per rule; the uncited step orders in one line."""
    from wenze_desktop.procedure.citations import STEP_ORDER
    from wenze_desktop.procedure.refusals import walk

    found: dict[str, str] = {}
    unordered: list[str] = []
    for where, refusal in walk(profile):
        if not refusal.is_reading:
            continue
        if refusal.rule is STEP_ORDER:
            action = where.split("@")[0]
            label = ACTION_LABELS.get(action, action)
            if label not in unordered:
                unordered.append(label)
        else:
            found.setdefault(refusal.rule.id, f"{refusal.rule.what}（例如：{refusal.message}）")
    lines = list(found.values())
    lines += [f"环节「{step.label}」：{step.reading}" for step in profile.steps if step.reading]
    lines += [f"办理事项「{t.label or ACTION_LABELS.get(t.action, t.action)}」：{t.reading}"
              for t in profile.transitions if t.reading]
    if profile.decision_document.reading:
        lines.append(f"问责决定书：{profile.decision_document.reading}")
    if profile.procedure.no_harsher_article == "" and any("harsher_needs_reason" in t.guards
                                                          for t in profile.transitions):
        lines.append("决定重于调查报告的建议：条文未禁止，允许作出，并在记录中注明")
    if unordered:
        lines.append(f"办理顺序（条文未规定先后，按本系统的流程）：{'、'.join(unordered)}")
    return lines


def main(argv: list[str]) -> int:
    write = "--write" in argv
    ids = [a for a in argv if not a.startswith("--")] or profile_ids()
    for profile_id in ids:
        matrix = render(profile_id)
        if write:
            matrix_path(profile_id).write_text(matrix, encoding="utf-8")
            missing = gaps(profile_id)
            print(f"{profile_id}: written; articles not explained: {'、'.join(missing) or 'none'}")
        else:
            print(matrix)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
