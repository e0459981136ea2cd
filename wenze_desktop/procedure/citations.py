"""What a refusal cites, and what the cited words must say.

Every refusal names the rule it enforces. A rule with key words is a rule of the regulation: the refusal cites the
article that imposes it, and tests/unit/test_citations.py checks that the shipped text of that article contains one
of the words. Where the profile gives no article for it, the text is silent and the refusal is the profile's own
reading, shown as such ("本规定未作规定，本系统按此处理"). A rule without key words is a fact about the case or
the form (nothing to decide, a name missing) and cites nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from wenze_desktop.errors import ProcedureRefused

READING_NOTE = "本规定对此未作规定，本系统按此处理"


@dataclass(frozen=True)
class Rule:
    id: str
    words: tuple[tuple[str, ...], ...] = ()  # the cited passage matches every group (one word of each)
    what: str = ""  # what the rule is (the compliance matrix); "" for a fact, which is never cited

    @property
    def is_fact(self) -> bool:
        return not self.what


RULES: dict[str, Rule] = {}


def rule(rule_id: str, *groups: str, what: str = "") -> Rule:
    """A rule; each group is alternatives joined by |: rule("x", "申诉", "日内|工作日") needs 申诉 and a period."""
    found = Rule(rule_id, tuple(tuple(g.split("|")) for g in groups), what)
    RULES[rule_id] = found
    return found


@dataclass(frozen=True)
class Refusal:
    message: str
    article: str  # "" for a fact, or for a reading where the text is silent
    rule: Rule
    words: tuple[tuple[str, ...], ...] = ()  # word groups from the case (form names, actions): added to the rule's

    @property
    def is_reading(self) -> bool:
        return not self.article and not self.rule.is_fact

    @property
    def key_words(self) -> tuple[tuple[str, ...], ...]:
        return tuple(group for group in (*self.rule.words, *self.words) if group)

    def __str__(self) -> str:
        return cited(self.message, self.article, self.is_reading)

    def error(self) -> ProcedureRefused:
        return ProcedureRefused(self.message, self.article, self.is_reading)


SILENT = "本规定未作规定"


def basis(article: str) -> str:
    """A step's or an action's article as shown next to it; where the text is silent, that it is."""
    return article or SILENT


def cited(message: str, article: str, reading: bool) -> str:
    """The message as the user reads it: with its article, marked as the profile's reading, or as it is."""
    if article:
        return f"{message}（依据：{article}）"
    if reading:
        return f"{message}（{READING_NOTE}）"
    return message


# -- the rules the engine enforces ---------------------------------------------------------------------------------
# Key words are what any text imposing the rule must say in some form; they are deliberately few and plain.

FACT = rule("fact")  # the case's state or a field left empty: no article claimed
CASE_ENDED = rule("case_ended")
NO_SUCH_PROCEDURE = rule("no_such_procedure")  # the text has no such step: the message says so
STEP_ORDER = rule("step_order", what="办理顺序")  # words: the actions involved (engine.py)
INVESTIGATORS = rule("investigators", "两名|二名|2名|两人|二人|名以上|人以上|名及以上", what="调查人员人数")
RECUSAL = rule("recusal", "回避", what="回避")
INTEREST_DECLARED = rule("interest_declared", what="调查人员声明有无利害关系")  # never in a text: always a reading
FILING_APPROVAL = rule("filing_approval", "批准|审批|同意|报请|报经|审定", what="立项报批")
REPORT_CONTENTS = rule("report_contents", "报告", "事实|结论|建议|意见", what="调查报告的内容")
FORMS = rule("forms", what="问责方式")  # words: the profile's form names (decisions.py)
FORM_FOR_KIND = rule("form_for_kind", what="问责方式的适用对象")  # words: the form and its kind (decisions.py)
DEFENCE = rule("defence", "申辩|陈述", what="决定前听取陈述申辩")
WAIVER = rule("waiver", "放弃", what="放弃陈述申辩")
DIRECT = rule("direct_decision", "直接", what="不经调查直接作出决定")
COLLECTIVE = rule("collective", "集体讨论|集体研究|集体决定|会议", what="集体讨论决定")
DISSENT = rule("dissent", "反对|不同意见", what="明确反对者不予问责")
NO_HARSHER = rule("no_harsher", "申辩", "从重|加重", what="不得因申辩而从重")
SIMPLIFIED = rule("simplified", "简易|简化|直接", what="简易程序的适用范围")
DECISION_DOCUMENT = rule("decision_document", what="问责决定书的内容")  # words: the missing elements (decisions.py)
APPEAL_WINDOW = rule("appeal_window", "申诉", "日内|日之内|工作日|日起", "提出|提起|之日起", what="申诉期限")
APPEAL_KINDS = rule("appeal_kinds", "复核|复查", what="复核、复查")
REVIEW_OUTCOMES = rule("review_outcomes", "维持|纠正", "变更|撤销", what="复核/复查的处理结果")
EXECUTION_PAUSE = rule("execution_pause", "执行", "停止|暂停|暂缓|不影响", what="申诉期间是否停止执行")
DEADLINE_LIMIT = rule("deadline_limit", "日内|日之内|工作日|个月|月内|天内|日起|日前", what="期限")
EXTENSION_APPROVAL = rule("extension_approval", "延长|延期", "批准|同意|审批", what="延长期限须经批准")
EXTENSION_CAP = rule("extension_cap", "延长|延期", "最长|不得超过|不超过|累计|整个", what="延长期限的上限")
ARCHIVE = rule("archive", "归档|档案|存档|立卷", what="归档")
DOCUMENT_CONTENTS = rule("document_contents", what="文书的必备内容")  # no text lists them: always a reading
# The texts set deadlines; none says what a late step must record. Asking why it is late is the program's reading.
LATE_REASON = rule("late_reason", what="逾期办理须写明原因")
