"""The canonical vocabulary of procedure actions, shared by every profile (a profile uses a subset)."""

from __future__ import annotations

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

# Decisions belong to the deciding organ's leader; everything else to the handling staff.
DECIDING_ACTIONS = frozenset({"file_case", "close_without_filing", "withdraw", "decide_recusal", "decide",
                              "decide_no_accountability", "decide_appeal", "suspend_respondent"})

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


def permission_for(action: str) -> Permission:
    return Permission.CASE_DECIDE if action in DECIDING_ACTIONS else Permission.CASE_EDIT


def label_of(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# The data each action takes (key -> Chinese description); "*" marks what its guards require.
# One list for docs/procedure.md and the wizard's forms. Other keys are kept with the record as given.
ACTION_FIELDS: dict[str, dict[str, str]] = {
    "preliminary_check": {"summary": "初核情况"},
    "file_case": {"approved_by*": "批准人（立项须报批准的）", "summary": "立项理由"},
    "close_without_filing": {"reason*": "不予立项的理由"},
    "withdraw": {"reason*": "撤项理由", "served_on": "撤项决定送达日期"},
    "assign_investigators": {"staff*": "调查人员姓名列表", "leader": "组长"},
    "declare_interest": {"staff*": "作出声明的调查人员（姓名或列表）",
                         "interest*": "是否有利害关系（true/false）", "note": "说明"},
    "apply_recusal": {"staff*": "被申请回避的人员", "reason": "申请理由", "applicant": "申请人"},
    "decide_recusal": {"staff*": "决定所针对的人员", "granted": "是否回避（默认 true）",
                       "replacement": "替换人员", "reason": "理由"},
    "serve_notice": {"served_to": "受送达人", "method": "送达方式"},
    "receive_explanation": {"summary": "书面说明摘要", "evidence": "提交的证据"},
    "suspend_respondent": {"reason*": "暂停职务的理由（阻挠、拒绝或干预调查）", "approved_by": "决定机关"},
    "inform_findings": {"summary": "告知的调查结果"},
    "record_defence": {"text": "陈述申辩内容", "adopted": "采纳情况"},
    "waive_defence": {"text*": "被调查人明确放弃的书面表示"},
    "submit_report": {"facts": "具体事实（缺省用案件事实）", "conclusion*": "基本结论",
                      "accountable*": "是否问责（true/false）", "recommended_forms": "建议的问责方式（问责时必填）"},
    "extend_deadline": {"deadline": "要延长的期限 id（只有一个可延长时可省略）", "working_days|days*": "延长多少",
                        "approver*": "批准人", "reason*": "理由"},
    "decide": {"forms*": "问责方式：[\"诫勉谈话\"] 或 [{\"respondent\": \"张三\", \"form\": \"诫勉谈话\"}]",
               "meeting*": "集体讨论会议 {date, attendees, dissenting}", "facts": "事实", "evidence": "证据",
               "responsibility": "责任认定", "basis": "问责依据", "organ": "决定机关",
               "harsher_reason": "重于报告建议时的理由", "direct_reason": "直接作出决定的理由（直接决定路径）"},
    "decide_no_accountability": {"reason": "不予问责的理由", "meeting": "集体讨论会议（规定要求时）"},
    "serve_decision": {"recipients": "受送达的人和单位", "method": "送达方式"},
    "lodge_appeal": {"review_kind": "复核或复查", "reason": "申诉理由",
                     "pause_execution": "是否暂缓执行（规定允许时）"},
    "decide_appeal": {"outcome*": "维持、变更或撤销", "forms": "变更后的问责方式（变更时必填）", "reason": "理由"},
    "report_execution": {"summary": "执行情况"},
    "archive": {"archive_no": "档案号", "location": "存放位置"},
}

# guard -> the data keys it reads (what a form must ask for before the action can pass)
GUARD_KEYS = {
    "investigators_minimum": ["staff"], "filing_approved": ["approved_by"], "reason_given": ["reason"],
    "report_complete": ["facts", "conclusion", "accountable", "recommended_forms"], "collective_meeting": ["meeting"],
    "forms_of_profile": ["forms"], "direct_decision_reason": ["direct_reason"], "review_outcome": ["outcome"],
    "staff_assigned": ["staff"], "recusal_pending": ["staff"], "extension_allowed": ["approver", "reason"],
}
# action -> keys recorded whatever the guards (the contents of the documents they produce, the record's text)
ALWAYS = {"decide": ["facts", "evidence", "responsibility", "basis"], "declare_interest": ["staff", "interest"],
          "waive_defence": ["text"], "record_defence": ["text"], "lodge_appeal": ["review_kind", "reason"],
          "submit_report": ["facts", "conclusion", "accountable", "recommended_forms"],
          "report_execution": ["summary"], "decide_appeal": ["reason"]}
