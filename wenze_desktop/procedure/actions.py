"""The canonical vocabulary of procedure actions, shared by every profile (a profile uses a subset)."""

from __future__ import annotations

from wenze_desktop.procedure import fields
from wenze_desktop.security.permissions import Permission

# action id -> Chinese label (one glossary: the UI shows these words everywhere)
ACTION_LABELS: dict[str, str] = {
    "preliminary_check": "初核",
    "file_case": "立项",
    "close_without_filing": "初核后不予立项",
    "withdraw": "撤项",
    "assign_investigators": "组成调查组",
    "declare_interest": "利害关系声明",
    "apply_recusal": "申请回避",
    "decide_recusal": "回避决定",
    "serve_notice": "送达调查通知",
    "receive_explanation": "收到书面说明",
    "suspend_respondent": "暂停职务",
    "inform_findings": "告知调查结果",
    "record_defence": "陈述申辩笔录",
    "waive_defence": "放弃陈述申辩",
    "submit_report": "提交调查报告",
    "extend_deadline": "延长期限",
    "decide": "作出问责决定",
    "decide_no_accountability": "作出不予问责决定",
    "serve_decision": "送达问责决定",
    "lodge_appeal": "申诉",
    "decide_appeal": "复核/复查决定",
    "report_execution": "执行情况报告",
    "archive": "归档",
}

ACTIONS: tuple[str, ...] = tuple(ACTION_LABELS)

# Words a text uses for each action: an article said to order two actions names both (tests/unit/test_citations.py).
ACTION_WORDS: dict[str, tuple[str, ...]] = {
    "preliminary_check": ("初核", "核查", "核实", "初步"),
    "file_case": ("立项", "立案", "启动", "报批"),
    "close_without_filing": ("立项", "立案"),
    "withdraw": ("撤项", "撤销"),
    "assign_investigators": ("调查组", "调查人员", "调查工作", "进行调查", "调查核实", "调查结束", "问责调查",
                             "组织调查"),
    "declare_interest": ("回避", "利害关系"),
    "apply_recusal": ("回避",),
    "decide_recusal": ("回避",),
    "serve_notice": ("通知",),
    "receive_explanation": ("说明",),
    "suspend_respondent": ("暂停", "停职"),
    "inform_findings": ("告知", "调查结果", "反馈"),
    "record_defence": ("申辩", "陈述"),
    "waive_defence": ("申辩", "陈述"),
    "submit_report": ("报告", "处理意见", "问责建议"),
    "extend_deadline": ("延长",),
    "decide": ("问责决定", "作出决定", "的决定", "决定机关", "实施问责", "问责处理"),
    "decide_no_accountability": ("不予问责", "免予问责", "免于问责", "免责", "不需要问责", "不问责"),
    "serve_decision": ("送达", "送交", "告知", "宣布"),
    "lodge_appeal": ("申诉",),
    "decide_appeal": ("复核", "复查", "处理决定"),
    "report_execution": ("执行", "办理完毕", "手续"),
    "archive": ("档案", "归档", "存档"),
}

# Approvals and decisions (the actions that record who decided, procedure/fields.py): the handler records them;
# the deciding organ's leader may record them too.
DECIDING_ACTIONS = frozenset(a for a in ACTION_LABELS if fields.is_signed(a))

# The alternative routes a transition can belong to (docs/profile-format.md).
PATHS = ("main", "direct", "simplified", "withdrawal", "no_filing", "appeal")

DOCUMENT_KINDS: dict[str, str] = {
    "filing_decision": "立项决定",
    "investigation_notice": "调查通知书",
    "defence_record": "陈述申辩笔录",
    "investigation_report": "调查报告",
    "decision": "问责决定书",
    "withdrawal_decision": "撤项决定",
    "service_receipt": "送达回证",
    "review_decision": "复核/复查决定",
    "execution_report": "执行情况报告",
}

RESTRICTIONS: dict[str, str] = {
    "no_excellent_rating": "年度考核不得评为优秀",
    "no_commendation": "不得评优评先",
    "no_promotion": "不得提拔",
    "no_equivalent_post": "不得安排相当职务",
    "personnel_file": "材料归入个人档案",
    "other": "其他影响",
}


def permissions_for(action: str) -> tuple[Permission, ...]:
    """Any one of these lets a user record ``action``: handlers record every step (what a leader approved or a
    meeting decided included); a leader may record the approvals and decisions."""
    if action in DECIDING_ACTIONS:
        return (Permission.CASE_EDIT, Permission.CASE_DECIDE)
    return (Permission.CASE_EDIT,)


def label_of(action: str) -> str:
    return ACTION_LABELS.get(action, action)
