"""The user manual as Markdown: its contents and pages.

Screen pages are hand-written Chinese files, ``resources/manual/<id>.md`` (their first line, ``# 标题``, is the title
the contents show); their images are under ``resources/manual/images/`` (``scripts/screenshots.py`` takes them from
the real windows). Regulation pages are generated here from each profile and its shipped text, so what the manual
says about steps, records, deadlines and articles is what the program does.

Pages link to each other by file name (``[文书](documents.md)``, ``[《广州问责暂行办法》](regulation-gz2009.md)``);
``page_of_href`` turns such a link into a page id.

``python -m wenze_desktop.help.manual [--write DIR] [PAGE …]`` prints the pages (or writes them as files).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wenze_desktop.domain.glossary import term
from wenze_desktop.errors import WenzeError
from wenze_desktop.paths import resources_dir
from wenze_desktop.procedure import fields
from wenze_desktop.procedure.actions import DOCUMENT_KINDS, RESTRICTIONS, label_of
from wenze_desktop.procedure.guards import GUARDS  # importing guards registers them
from wenze_desktop.rules.profiles import PERSON, UNIT, Profile, Transition, all_profiles, load_profile, profile_ids
from wenze_desktop.rules.texts import CitationError, load_text

GENERAL, SCREENS_GROUP, REGULATIONS_GROUP = "使用手册", "界面与操作", "问责规定"

# The hand-written pages, in the order of the contents (one file each in resources/manual/).
HOME = "index"
SCREEN_PAGES: tuple[str, ...] = ("login", "registry", "case-procedure", "case-info", "deadlines", "documents",
                                 "transfer", "admin", "backup", "cli")
REGULATION_PREFIX = "regulation-"

PATH_NAMES = {"main": "一般程序", "direct": "直接处理", "simplified": "简易程序", "withdrawal": "撤项",
              "no_filing": "不予立项", "appeal": "申诉"}
KIND_NAMES = {PERSON: "个人", UNIT: "单位"}
CIRCUMSTANCE_NAMES = {"aggravating": "从重", "mitigating": "从轻", "exempting": "免予问责"}
PAUSES = {"may": "申诉期间可以暂缓执行（由决定机关决定）", "no": "申诉期间不停止执行",
          "yes": "申诉期间停止执行", "silent": "本规定未说申诉期间是否停止执行；本系统按不停止执行处理"}
TIERS = {"light": "较轻", "heavier": "较重", "serious": "严重"}
QUOTE_LIMIT = 110  # characters of an article's words quoted under a step (the whole text is one click away)

_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)[^)]*\)")


class ManualError(WenzeError):
    """A page the manual does not have, or a page file missing from the installation."""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str  # the page's heading
    group: str

    @property
    def label(self) -> str:
        """The contents' short name: the heading up to its bracketed details (文书（预览、签发…） → 文书)."""
        return self.title.split("（", 1)[0] if not self.title.startswith("《") else self.title


# -- where the pages are -------------------------------------------------------------------------------------------

def manual_dir() -> Path:
    return resources_dir() / "manual"


def images_dir() -> Path:
    return manual_dir() / "images"


def screen_file(page_id: str) -> Path:
    return manual_dir() / f"{page_id}.md"


def regulation_page_id(profile_id: str) -> str:
    return f"{REGULATION_PREFIX}{profile_id}"


def href(page_id: str) -> str:
    return f"{page_id}.md"


def page_of_href(link: str) -> str | None:
    """The page a link inside the manual names (``documents.md#签发`` → ``documents``); None for anything else:
    web addresses, mail, files outside the manual."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", link) and not link.startswith("manual:"):
        return None
    name = link.removeprefix("manual:").split("#", 1)[0].lstrip("/").removeprefix("./")
    if not name.endswith(".md") or "/" in name:
        return None
    page_id = name.removesuffix(".md")
    return page_id if page_id in page_ids() else None


# -- contents -----------------------------------------------------------------------------------------------------

def _title_of(page_id: str) -> str:
    for line in _read(page_id).splitlines():
        if line.startswith("# "):
            return line[2:].replace("`", "").strip()
    return page_id


def contents() -> tuple[tuple[str, tuple[Entry, ...]], ...]:
    """The table of contents: groups of pages, in order."""
    return ((GENERAL, (Entry(HOME, _title_of(HOME), GENERAL),)),
            (SCREENS_GROUP, tuple(Entry(p, _title_of(p), SCREENS_GROUP) for p in SCREEN_PAGES)),
            (REGULATIONS_GROUP, tuple(Entry(regulation_page_id(p.id), f"《{p.short_title}》", REGULATIONS_GROUP)
                                      for p in all_profiles())))


def entries() -> list[Entry]:
    return [entry for _group, items in contents() for entry in items]


def page_ids() -> list[str]:
    return [HOME, *SCREEN_PAGES, *(regulation_page_id(p) for p in profile_ids())]


def title(page_id: str) -> str:
    return next((e.title for e in entries() if e.id == page_id), page_id)


def markdown(page_id: str) -> str:
    """One page's Markdown."""
    if page_id.startswith(REGULATION_PREFIX):
        profile_id = page_id.removeprefix(REGULATION_PREFIX)
        if profile_id in profile_ids():
            return regulation_markdown(profile_id)
    elif page_id in (HOME, *SCREEN_PAGES):
        return _read(page_id)
    raise ManualError(f"使用手册中没有「{page_id}」这一页；请从左侧目录选择。")


def _read(page_id: str) -> str:
    path = screen_file(page_id)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ManualError(f"使用手册的页面文件 {path.name} 无法读取（{error.strerror or error}）；"
                          "请重新安装本程序。") from error


def images(text: str) -> list[str]:
    """The images a page shows (paths relative to ``resources/manual/``)."""
    return _IMAGE.findall(text)


def links(text: str) -> list[str]:
    """The links of a page (images excluded)."""
    return _LINK.findall(text)


def search(words: str) -> list[str]:
    """The pages containing every word typed (separated by spaces), in contents order."""
    wanted = words.split()
    return [e.id for e in entries() if all(w in f"{e.title}\n{markdown(e.id)}" for w in wanted)]


# -- regulation pages ---------------------------------------------------------------------------------------------

_CODE_ASIDE = re.compile(r"[（(][^（）()]*[A-Za-z_]{3,}[^（）()]*[）)]")


def _plain(text: str) -> str:
    """A profile's free text without its asides to developers (a parenthesis naming a code word such as
    ``appeal_window``): the clerk reads the rule, not the key it is stored under."""
    return _CODE_ASIDE.sub("", text)


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")


def _short(text: str, limit: int = QUOTE_LIMIT) -> str:
    flat = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "……"


def _quote(profile_id: str, citation: str) -> list[str]:
    """The cited words, short, as a Markdown quote ("" where the text has none: the profile is checked for that)."""
    if not citation:
        return []
    try:
        passages = load_text(profile_id).find(citation)
    except CitationError:
        return []
    several = len(passages) > 1
    return ["> " + (f"{p.citation}：" if several else "") + _short(p.text, QUOTE_LIMIT // (2 if several else 1))
            for p in passages[:3]] + ([""] if passages else [])


def _article(citation: str) -> str:
    return citation or "本规定未作规定"


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _period(rule) -> str:
    return rule.describe_period()


def _condition(profile: Profile, rule) -> str:
    """When a deadline applies, in words (its ``when`` data of the trigger record, or the forms decided)."""
    parts = []
    for key, value in rule.when:
        spec = fields.spec(rule.trigger, key)
        if spec is None:
            parts.append(f"「{label_of(rule.trigger)}」的记录注明属于此类情形")
            continue
        shown = dict(spec.choices).get(value, value)
        parts.append(f"{spec.label}为「{shown}」")
    if rule.when_forms:
        named = [f"「{f.name}」" for f in profile.forms if f.id in rule.when_forms]
        parts.append("决定的问责方式含" + "、".join(dict.fromkeys(named)))
    return "；".join(dict.fromkeys(parts))


def _deadline_line(profile: Profile, rule) -> str:
    condition = _condition(profile, rule)
    extension = ""
    if rule.extendable:
        caps = [f"累计不超过{v}{unit}" for v, unit in ((rule.max_total_working_days, "个工作日（含原期限）"),
                                                  (rule.max_total_days, "日（含原期限）"),
                                                  (rule.max_extension_working_days, "个工作日"),
                                                  (rule.max_extension_days, "日")) if v]
        extension = f"；经批准可以延长（{_article(rule.extension_article)}{'，' + '、'.join(caps) if caps else ''}）"
    when = f"；{condition}时适用" if condition else ""
    return (f"**{rule.label}**：自「{label_of(rule.trigger)}」之日起{_period(rule)}内"
            f"完成「{label_of(rule.action)}」（{_article(rule.article)}）{when}{extension}")


def _fields_line(transition: Transition) -> str:
    reads = {key for name in transition.guards if name in GUARDS for key in GUARDS[name].reads}
    required = fields.required_keys(transition.action, reads)
    shown = [f"{f.label}{'＊' if f.key in required else ''}" for f in fields.fields_of(transition.action)
             if f.key not in ("delay_reason", "paper_ref", "paper_scan")]
    line = "、".join(shown) if shown else "办理日期"
    if fields.is_signed(transition.action):
        line += "；并填写已签批的呈批表编号或选择其扫描件（二者填一）"
    return line


def _checks_line(profile: Profile, transition: Transition) -> str:
    checks = []
    for name in transition.guards:
        spec = GUARDS.get(name)
        if spec is None:
            continue
        article = getattr(profile.procedure, spec.article_key, "") if spec.article_key else ""
        if name == "harsher_needs_reason" and not article:  # the text does not forbid it: only noted
            checks.append("决定重于调查报告建议的，在记录中注明（条文未禁止，本系统的做法）")
        elif spec.article_key and not article:
            checks.append(f"{spec.what}（本规定未作规定，本系统的做法）")
        else:
            checks.append(f"{spec.what}（{article}）" if article else spec.what)
    return "；".join(dict.fromkeys(checks))


def _transition_lines(profile: Profile, transition: Transition) -> list[str]:
    name = transition.label or label_of(transition.action)
    sources = "或".join(f"「{profile.step_label(s)}」" for s in transition.sources)
    path = "" if transition.path == "main" else f"（{PATH_NAMES.get(transition.path, transition.path)}）"
    order = f"；先后顺序依据{transition.order_article}" if transition.order_article else ""
    lines = [f"- **{name}**{path}　{transition.article or '本规定未作规定'}",
             f"  - 何时办理：案件处于{sources}环节时{order}。"]
    if transition.reading:
        lines.append(f"  - 本规定对此未作规定，本系统的做法：{_plain(transition.reading)}")
    lines.append(f"  - 登记内容：{_fields_line(transition)}。")
    documents = "、".join(DOCUMENT_KINDS.get(d, d) for d in transition.documents)
    if documents:
        lines.append(f"  - 产生文书：{documents}（在「文书」中签发）。")
    checks = _checks_line(profile, transition)
    if checks:
        lines.append(f"  - 登记时程序检查：{checks}。")
    return lines


def _header(profile: Profile) -> list[str]:
    dates = "；".join(f"{name} {_date(day)}" for name, day in (("印发", profile.issued), ("施行", profile.effective))
                     if day)
    kinds = "、".join(KIND_NAMES.get(k, k) for k in profile.applies_to)
    rows = [("规定全称", f"《{profile.title}》"), ("文号", profile.document_number or "（未注明）"),
            ("发布机关", profile.issuer or "（未注明）"), ("日期", dates or "（未注明）"),
            ("状态", profile.status or "（未注明）"),
            ("适用对象", f"{profile.applies_text}（{_article(profile.applies_article)}）"),
            ("被问责对象可以是", kinds),
            ("承办机关", f"{profile.handling_organ or '（未注明）'}（{_article(profile.organs_article)}）"),
            ("决定机关", profile.deciding_organ or "（未注明）")]
    lines = [f"# 《{profile.short_title}》", "",
             "本页由程序根据内置的问责规定及其条文自动生成，与程序的实际做法一致。条文全文见「帮助 → 规定原文」；"
             "办理方法见[案件页：办理流程](case-procedure.md)。", "",
             "| 项目 | 内容 |", "|---|---|"]
    lines += [f"| {name} | {_cell(value)} |" for name, value in rows]
    return [*lines, ""]


def _steps(profile: Profile) -> list[str]:
    lines = ["## 办理环节", "",
             "按规定的顺序列出每个环节：进入该环节要登记的办理事项、登记的内容（＊为必填）、产生的文书、"
             "登记时程序检查什么，以及该环节的期限和条文。", ""]
    deadlines_by_action: dict[str, list] = {}
    for rule in profile.deadlines:
        deadlines_by_action.setdefault(rule.action, []).append(rule)
    shown_deadlines: set[str] = set()
    for number, step in enumerate(profile.steps, 1):
        terminal = "（终结）" if step.terminal else ""
        lines += [f"### {number}. {step.label}{terminal}", "", f"条文：{_article(step.article)}", ""]
        lines += _quote(profile.id, step.article)
        if step.reading:
            lines += [f"本规定对此未作规定，本系统的做法：{_plain(step.reading)}", ""]
        into = [t for t in profile.transitions if t.to == step.id]
        if step.id == profile.procedure.initial:
            lines += ["新建案件时即处于本环节：在「案件信息」中登记案件名称、线索来源、收到日期、线索内容和被问责对象"
                      "（见[案件信息](case-info.md)）。", ""]
        for transition in into:
            lines += _transition_lines(profile, transition)
        if into:
            lines.append("")
        rules = [r for t in into for r in deadlines_by_action.get(t.action, []) if r.id not in shown_deadlines]
        for rule in rules:
            shown_deadlines.add(rule.id)
            lines += [f"期限：{_deadline_line(profile, rule)}。", ""]
    side = [t for t in profile.transitions if t.to is None]
    if side:
        lines += ["### 不改变环节的办理事项", "",
                  "下列事项在所列环节中随时可以登记，登记后案件仍停留在原环节。", ""]
        for transition in side:
            lines += _transition_lines(profile, transition)
            for rule in deadlines_by_action.get(transition.action, []):
                if rule.id not in shown_deadlines:
                    shown_deadlines.add(rule.id)
                    lines.append(f"  - 期限：{_deadline_line(profile, rule)}。")
        lines.append("")
    return lines


def _deadlines(profile: Profile) -> list[str]:
    lines = ["## 期限一览", "",
             "期限由程序按登记的日期自动计算：起算日不计入；「N个工作日」按国务院公布的节假日安排计算"
             "（见[期限看板与工作日](deadlines.md)），「N日」「N个月」到期日遇休息日顺延。", ""]
    if profile.deadlines:
        lines += ["| 期限 | 起算 | 应完成 | 时限 | 条文 |", "|---|---|---|---|---|"]
        for rule in profile.deadlines:
            condition = _condition(profile, rule)
            name = f"{rule.label}（{condition}时）" if condition else rule.label
            extend = "，可延长" if rule.extendable else ""
            lines.append(f"| {_cell(name)} | {label_of(rule.trigger)} | {label_of(rule.action)} | "
                         f"{_period(rule)}{extend} | {_cell(rule.article)} |")
        lines.append("")
    else:
        lines += ["本规定没有规定办理期限，程序不计算期限。", ""]
    if profile.silence_note:
        lines += [_plain(profile.silence_note), ""]
    return lines


def _forms(profile: Profile) -> list[str]:
    lines = ["## 问责方式", ""]
    if profile.forms:
        tiers = any(form.tier for form in profile.forms)
        lines += ["| 问责方式 | 适用于 | 条文 |" + (" 分档 |" if tiers else ""),
                  "|---|---|---|" + ("---|" if tiers else "")]
        for form in profile.forms:
            kinds = "、".join(KIND_NAMES.get(k, k) for k in form.applies_to)
            tier = f" {TIERS.get(form.tier, form.tier)}（{form.tier_article}） |" if form.tier else " |"
            tier = tier if tiers else ""
            lines.append(f"| {_cell(form.name)} | {kinds} | {_cell(form.article)} |{tier}")
        lines.append("")
    lines += ["## 影响期", ""]
    if profile.after_effects:
        for effect in profile.after_effects:
            names = "全部问责方式（个人）" if "*" in effect.forms else "、".join(
                f.name for f in profile.forms if f.id in effect.forms)
            period = (f"{effect.months}个月" if effect.months else
                      "至作出决定的当年年底" if effect.period == "decision_year" else effect.period or "")
            what = RESTRICTIONS.get(effect.restriction, effect.restriction)
            lines.append(f"- {names}：{what}，{period}（{effect.article}）。{effect.text}")
        lines += ["", "作出问责决定后，程序自动记录影响期及其终止日期；更正或撤销决定时随之重算。", ""]
    else:
        lines += ["本规定没有规定影响期。", ""]
    if profile.circumstances:
        lines += ["## 从重、从轻和免予问责的情节", ""]
        for item in profile.circumstances:
            kind = CIRCUMSTANCE_NAMES.get(item.kind, item.kind)
            lines.append(f"- {kind}：{item.text}（{item.article}）")
        lines.append("")
    return lines


def _appeal(profile: Profile) -> list[str]:
    appeal = profile.appeal
    lines = ["## 申诉", ""]
    if not appeal.allowed:
        return [*lines, _plain(appeal.window_note) or "本规定未规定申诉。", ""]
    window = (f"送达后{appeal.window_working_days}个工作日内" if appeal.window_working_days else
              f"送达后{appeal.window_days}日内" if appeal.window_days else "")
    lines.append(f"- 申诉依据：{_article(appeal.article)}。")
    if window:
        lines.append(f"- 申诉期限：{window}（{_article(appeal.window_article)}）。")
    elif appeal.window_note:
        lines.append(f"- 申诉期限：{_plain(appeal.window_note)}。")
    if appeal.review_kinds:
        lines.append(f"- 处理方式：{'、'.join(appeal.review_kinds)}。")
    outcomes = "、".join(term(o) for o in appeal.outcomes) if appeal.outcomes else ""
    if outcomes:
        source = appeal.outcomes_article or "本规定未列举，本系统的登记方式"
        lines.append(f"- 处理结果：{outcomes}（{source}）。")
    lines.append(f"- 执行：{PAUSES.get(appeal.execution_pauses, appeal.execution_pauses)}"
                 f"{'（' + appeal.execution_article + '）' if appeal.execution_article else ''}。")
    return [*lines, ""]


def _decision_document(profile: Profile) -> list[str]:
    document = profile.decision_document
    lines = ["## 问责决定书", ""]
    if document.reading and not document.article:
        lines.append(f"本规定未规定问责决定书的内容，本系统的做法：{_plain(document.reading)}")
    else:
        effective = f"{document.effective}。" if document.effective else ""
        lines.append(f"依据：{_article(document.article)}。{effective}")
    if document.elements:
        lines += ["", "决定书须写明（缺少任何一项不能签发，也不能登记送达）："]
        lines += [f"- {element.label}（{element.article}）" for element in document.elements]
    return [*lines, ""]


def _readings(profile: Profile) -> list[str]:
    from wenze_desktop.rules.compliance import readings

    lines = ["## 条文未作规定之处，本系统的做法", "",
             "下列做法不是条文的规定，而是本系统的处理方式；程序拒绝这些事项时，提示中写明"
             "「本规定对此未作规定，本系统按此处理」。逐条对照见开发文档中的合规对照表。", ""]
    found = list(dict.fromkeys(_plain(line) for line in readings(profile)))
    lines += [f"- {line}" for line in found] or ["- 无"]
    return [*lines, ""]


@cache
def regulation_markdown(profile_id: str) -> str:
    profile = load_profile(profile_id)
    parts = (_header(profile) + _steps(profile) + _deadlines(profile) + _forms(profile)
             + _decision_document(profile) + _appeal(profile) + _readings(profile))
    return "\n".join(parts).rstrip() + "\n"


# -- command line -------------------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    out = None
    if "--write" in argv:
        at = argv.index("--write")
        out = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    wanted = argv or page_ids()
    for page_id in wanted:
        text = markdown(page_id)
        if out is None:
            print(text)
        else:
            out.mkdir(parents=True, exist_ok=True)
            (out / href(page_id)).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
