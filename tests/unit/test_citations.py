"""Every citation true: each refusal the engine can give cites an article of the shipped text that says it."""

from __future__ import annotations

from pathlib import Path

import pytest

from wenze_desktop.procedure import citations as c
from wenze_desktop.procedure.guards import GUARDS
from wenze_desktop.procedure.refusals import SCENARIOS, walk
from wenze_desktop.rules.profiles import load_profile, profile_ids
from wenze_desktop.rules.texts import load_text

PROFILES = profile_ids()
REVIEWED = Path(__file__).with_name("citations_reviewed.tsv")


def problem_of(profile_id: str, refusal: c.Refusal) -> str | None:
    """What is wrong with a refusal's citation, or None."""
    if refusal.rule.is_fact:
        return f"a fact cites {refusal.article}" if refusal.article else None
    if not refusal.article:
        return None if refusal.is_reading else "uncited but not shown as the profile's reading"
    if not refusal.key_words:
        return f"rule {refusal.rule.id} has no key words and must never be cited ({refusal.article})"
    text = load_text(profile_id)
    if not text.resolves(refusal.article):
        return f"{refusal.article} is not in the shipped text"
    words = "".join(p.text for p in text.find(refusal.article))
    for group in refusal.key_words:
        if group and not any(w in words for w in group):
            return f"{refusal.article} does not say {'/'.join(group)}"
    return None


def test_every_guard_has_a_scenario():
    assert set(SCENARIOS) == set(GUARDS)


@pytest.mark.parametrize("profile_id", PROFILES)
def test_every_refusal_cites_words_that_say_it(profile_id):
    profile = load_profile(profile_id)
    wrong = sorted({f"{where}: {r.message} — {problem}" for where, r in walk(profile)
                    if (problem := problem_of(profile_id, r))})
    assert wrong == [], "\n".join(wrong)


def _silent_guard(profile, name: str) -> bool:
    """A guard that can refuse nothing under this profile's data (nothing for it to check)."""
    appeal = profile.appeal
    return {"appeal_window": not (appeal.window_working_days or appeal.window_days or appeal.review_kinds),
            "decision_document_complete": not profile.decision_document.elements,
            "execution_not_paused": appeal.execution_pauses in ("no", "silent"),
            "harsher_needs_reason": not profile.procedure.no_harsher_article}.get(name, False)


@pytest.mark.parametrize("profile_id", PROFILES)
def test_the_walk_drives_every_guard_of_the_profile(profile_id):
    profile = load_profile(profile_id)
    used = {g for t in profile.transitions for g in t.guards}
    driven = {where.split("（")[1].rstrip("）") for where, _ in walk(profile) if "（" in where and "@" not in where}
    assert sorted(g for g in used - driven if not _silent_guard(profile, g)) == []
    assert all(not _silent_guard(profile, g) for g in driven & used)


def test_the_walk_reaches_every_rule():
    seen = {r.rule.id for pid in PROFILES for _, r in walk(load_profile(pid))}
    assert set(c.RULES) - seen == set()


def test_every_citation_was_reviewed():
    """A change detector: a new or changed citation must be read against the text and added to the reviewed list."""
    reviewed = {tuple(line.split("\t")) for line in REVIEWED.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")}
    given = {(pid, r.rule.id, r.article) for pid in PROFILES for _, r in walk(load_profile(pid)) if r.article}
    assert sorted(given - reviewed) == [], "new citations: read them, then add them to citations_reviewed.tsv"
    assert sorted(reviewed - given) == [], "citations no longer given: remove them from citations_reviewed.tsv"


def test_an_uncited_rule_reads_as_the_profiles_reading():
    refusal = c.Refusal("调查须由至少 2 名工作人员进行。", "", c.INVESTIGATORS)
    assert refusal.is_reading and str(refusal).endswith(f"（{c.READING_NOTE}）")
    assert str(refusal.error()) == str(refusal) and refusal.error().reading
    cited = c.Refusal("须听取申辩。", "第十一条", c.DEFENCE)
    assert str(cited) == "须听取申辩。（依据：第十一条）" and not cited.is_reading
    assert str(c.Refusal("没有待决定的回避申请。", "", c.FACT)) == "没有待决定的回避申请。"
