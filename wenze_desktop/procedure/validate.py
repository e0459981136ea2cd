"""Checks that a profile is a sound procedure: known names, every rule with its article, every step reachable."""

from __future__ import annotations

import re

from wenze_desktop.domain.glossary import ReviewOutcome
from wenze_desktop.errors import ValidationError
from wenze_desktop.procedure.actions import ACTIONS, DOCUMENT_KINDS, PATHS, RESTRICTIONS
from wenze_desktop.procedure.guards import GUARDS
from wenze_desktop.rules.profiles import PERSON, UNIT, Profile
from wenze_desktop.rules.texts import cited_articles, load_text

ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇\d]+[条章]|解读|式样|附件")
CIRCUMSTANCE_KINDS = {"aggravating", "mitigating", "exempting"}
ELEMENTS = {"respondent_info", "facts", "evidence", "responsibility", "basis", "decision", "appeal_route", "organ",
            "date", "document_number", "title", "seal"}
OUTCOMES = {o.value for o in ReviewOutcome}
PAUSES = {"no", "may", "yes", "silent"}
# guards whose refusal cites a [procedure] article that the profile must then give
GUARD_NEEDS = {"investigators_cleared": "recusal_article", "collective_meeting": "collective_article",
               "dissenters_not_held": "dissent_article", "defence_heard_or_waived": "defence_article"}


def problems(profile: Profile) -> list[str]:
    found: list[str] = []

    def need_article(where: str, article: str) -> None:
        if not article or not ARTICLE.search(article):
            found.append(f"{where}: missing or malformed article {article!r}")

    if profile.raw.get("schema") != 1:
        found.append("schema must be 1")
    if "document_number" not in profile.raw:
        found.append("document_number missing (use \"\" if the text gives none)")
    if not set(profile.applies_to) <= {PERSON, UNIT} or not profile.applies_to:
        found.append(f"applies_to.kinds invalid: {profile.applies_to}")
    need_article("applies_to", profile.applies_article)
    for situation in profile.situations:
        need_article(f"situation {situation.get('id')}", situation.get("article", ""))

    form_ids = [f.id for f in profile.forms]
    if not form_ids or len(set(form_ids)) != len(form_ids):
        found.append("forms missing or ids not unique")
    for form in profile.forms:
        need_article(f"form {form.id}", form.article)
        if not set(form.applies_to) <= set(profile.applies_to) or not form.applies_to:
            found.append(f"form {form.id}: applies_to {form.applies_to} not within {profile.applies_to}")
    for effect in profile.after_effects:
        need_article(f"after_effect {effect.restriction}", effect.article)
        unknown = [f for f in effect.forms if f != "*" and f not in form_ids]
        if unknown or not effect.forms:
            found.append(f"after_effect {effect.restriction}: unknown forms {unknown}")
        if effect.restriction not in RESTRICTIONS:
            found.append(f"after_effect: unknown restriction {effect.restriction}")
        if not (effect.months or effect.period == "decision_year"):
            found.append(f"after_effect {effect.restriction}: needs months or period = \"decision_year\"")
    for item in profile.circumstances:
        need_article(f"circumstance {item.text[:12]}", item.article)
        if item.kind not in CIRCUMSTANCE_KINDS:
            found.append(f"circumstance kind {item.kind!r}")

    _check_procedure(profile, found, need_article)
    _check_rules(profile, found, need_article)
    _check_citations(profile, found)
    return found


def need_cited_or_read(where: str, article: str, reading: str, need_article, found: list[str]) -> None:
    """An article, or — where the text is silent — a reading that says why the program has this, never both."""
    if reading and article:
        found.append(f"{where}: give an article or a reading, not both")
    elif not reading:
        need_article(where, article)


def _check_citations(profile: Profile, found: list[str]) -> None:
    """Every citation names words of the regulation's shipped text."""
    try:
        text = load_text(profile.id)
    except ValidationError as error:
        found.append(str(error))
        return
    found.extend(f"{place}: {citation} is not in the text" for place, citation in cited_articles(profile.raw)
                 if not text.resolves(citation))


def _check_procedure(profile: Profile, found: list[str], need_article) -> None:
    step_ids = [s.id for s in profile.steps]
    if len(set(step_ids)) != len(step_ids):
        found.append("step ids not unique")
    for step in profile.steps:
        need_cited_or_read(f"step {step.id}", step.article, step.reading, need_article, found)
    if profile.procedure.initial not in step_ids:
        found.append(f"initial step {profile.procedure.initial!r} is not a step")
    for transition in profile.transitions:
        where = f"transition {transition.action} from {list(transition.sources)}"
        need_cited_or_read(where, transition.article, transition.reading, need_article, found)
        if transition.action not in ACTIONS:
            found.append(f"{where}: not a canonical action")
        for step in (*transition.sources, *([transition.to] if transition.to else [])):
            if step not in step_ids:
                found.append(f"{where}: unknown step {step!r}")
        if transition.path not in PATHS:
            found.append(f"{where}: unknown path {transition.path!r}")
        for name in transition.guards:
            if name not in GUARDS:
                found.append(f"{where}: unknown guard {name!r}")
            elif name in GUARD_NEEDS and not getattr(profile.procedure, GUARD_NEEDS[name]):
                found.append(f"{where}: guard {name} needs procedure.{GUARD_NEEDS[name]}")
        for kind in transition.documents:
            if kind not in DOCUMENT_KINDS:
                found.append(f"{where}: unknown document kind {kind!r}")
    reached, todo = {profile.procedure.initial}, [profile.procedure.initial]
    while todo:
        for transition in profile.transitions_from(todo.pop()):
            if transition.to and transition.to not in reached:
                reached.add(transition.to)
                todo.append(transition.to)
    for step in profile.steps:
        if step.id not in reached:
            found.append(f"step {step.id} is not reachable from {profile.procedure.initial}")
        if not step.terminal and not any(t.to for t in profile.transitions_from(step.id)):
            found.append(f"step {step.id} is a dead end (not terminal, no transition leaves it)")
    if not any(s.terminal for s in profile.steps):
        found.append("no terminal step")


def _check_rules(profile: Profile, found: list[str], need_article) -> None:
    used = set(profile.actions())
    ids = [d.id for d in profile.deadlines]
    if len(set(ids)) != len(ids):
        found.append("deadline ids not unique")
    for rule in profile.deadlines:
        need_article(f"deadline {rule.id}", rule.article)
        if rule.trigger not in used or rule.action not in used:
            found.append(f"deadline {rule.id}: trigger/action not used by the profile's transitions")
        if not set(rule.when_forms) <= {f.id for f in profile.forms}:
            found.append(f"deadline {rule.id}: when_forms names unknown forms {rule.when_forms}")
        if len(rule.period) != 1:
            found.append(f"deadline {rule.id}: give exactly one of working_days, days, months")
        if rule.extendable:
            need_article(f"deadline {rule.id} extension", rule.extension_article)
    timed = {d.action for d in profile.deadlines}
    for action in {t.action for t in profile.transitions if t.to}:
        if action not in timed and action not in profile.silent_actions:
            found.append(f"action {action}: neither a deadline's action nor listed in deadline_silence")
    if profile.silent_actions and not profile.silence_note:
        found.append("deadline_silence.note missing")

    appeal = profile.appeal
    if appeal.allowed:
        need_article("appeal", appeal.article)
        if not appeal.outcomes or not set(appeal.outcomes) <= OUTCOMES:
            found.append(f"appeal outcomes {appeal.outcomes}")
        if appeal.window_working_days or appeal.window_days:
            need_article("appeal window", appeal.window_article)
        elif not appeal.window_note:
            found.append("appeal: give window_working_days/window_days or window_note")
        if appeal.execution_pauses not in PAUSES:
            found.append(f"appeal execution_pauses {appeal.execution_pauses!r}")
        elif appeal.execution_pauses != "silent":
            need_article("appeal execution", appeal.execution_article)
    document = profile.decision_document
    need_cited_or_read("decision_document", document.article, document.reading, need_article, found)
    for element in document.elements:
        need_article(f"decision element {element.id}", element.article)
        if element.id not in ELEMENTS:
            found.append(f"decision element {element.id!r} unknown")
    if not (profile.archive_article or profile.archive_note):
        found.append("archive: article or note missing")
    for path, actions in profile.archive_requires:
        if path not in PATHS or not set(actions) <= used:
            found.append(f"archive.requires {path}: unknown path or actions")
