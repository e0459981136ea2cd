"""One glossary: the English code words of the domain and the Chinese terms the UI shows for them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SYSTEM_ADMIN = "system_admin"
    SECURITY_OFFICER = "security_officer"
    SECURITY_AUDITOR = "security_auditor"
    HANDLER = "handler"
    REVIEWER = "reviewer"
    LEADER = "leader"


class RespondentKind(StrEnum):
    PERSON = "person"
    UNIT = "unit"


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class ClueSource(StrEnum):
    INSTRUCTION = "instruction"
    PROPOSAL = "proposal"
    ASSESSMENT = "assessment"
    MEDIA = "media"
    COMPLAINT = "complaint"
    INSPECTION = "inspection"
    OTHER = "other"


class ReviewOutcome(StrEnum):
    """The outcome of a review (复核/复查) of a decision."""

    UPHOLD = "uphold"
    MODIFY = "modify"
    REVOKE = "revoke"


TERMS: dict[str, str] = {
    # roles (三员 and business users)
    Role.SYSTEM_ADMIN: "系统管理员",
    Role.SECURITY_OFFICER: "安全保密管理员",
    Role.SECURITY_AUDITOR: "安全审计员",
    Role.HANDLER: "承办人",
    Role.REVIEWER: "审核人",
    Role.LEADER: "决定机关负责人",
    RespondentKind.PERSON: "个人",
    RespondentKind.UNIT: "单位",
    Gender.MALE: "男",
    Gender.FEMALE: "女",
    ClueSource.INSTRUCTION: "上级或领导批示",
    ClueSource.PROPOSAL: "人大、政协、法院、检察院、审计等提出",
    ClueSource.ASSESSMENT: "考核结果",
    ClueSource.MEDIA: "媒体曝光",
    ClueSource.COMPLAINT: "公民、法人或其他组织检举控告",
    ClueSource.INSPECTION: "督查检查发现",
    ClueSource.OTHER: "其他",
    ReviewOutcome.UPHOLD: "维持",
    ReviewOutcome.MODIFY: "变更",
    ReviewOutcome.REVOKE: "撤销",
    # domain nouns
    "case": "案件",
    "clue": "问责线索",
    "respondent": "被问责对象",
    "filing": "立项",
    "withdrawal": "撤项",
    "recusal": "回避",
    "investigation": "调查",
    "statement_defence": "陈述申辩",
    "report": "调查报告",
    "decision": "问责决定",
    "service": "送达",
    "appeal": "申诉",
    "review": "复核",
    "re_examination": "复查",
    "execution": "执行",
    "archive": "归档",
    "after_effect": "影响期",
    "form": "问责方式",
    "handling_organ": "承办机关",
    "deciding_organ": "决定机关",
    "staff_user": "用户",
    "attachment": "附件",
    "workspace": "工作区",
    "audit_entry": "审计记录",
}


def term(code: str) -> str:
    """The Chinese term for a code word; the code itself if the glossary lacks it (visible, not hidden)."""
    return TERMS.get(code, code)
