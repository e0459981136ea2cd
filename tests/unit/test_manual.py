"""The user manual (F1): every screen page is there, every regulation gets a generated page that names its steps,
what they record and its deadlines with their articles, links and images resolve, and no code word reaches a
clerk."""

import re

import pytest

from wenze_desktop.help import manual
from wenze_desktop.procedure import fields
from wenze_desktop.procedure.actions import ACTION_LABELS, DOCUMENT_KINDS
from wenze_desktop.rules.profiles import all_profiles, load_profile
from wenze_desktop.rules.texts import load_text

PROFILES = [p.id for p in all_profiles()]
SCREENS = [manual.HOME, *manual.SCREEN_PAGES]
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
TARGET = re.compile(r"\]\([^)]*\)")


def prose(text: str) -> str:
    """What the clerk reads as text: without code spans (commands typed as they are) and link targets."""
    return TARGET.sub("]", CODE.sub("", text))


def test_the_contents_list_the_home_page_every_screen_and_every_regulation():
    groups = dict(manual.contents())
    assert [e.id for e in groups[manual.GENERAL]] == [manual.HOME]
    assert [e.id for e in groups[manual.SCREENS_GROUP]] == list(manual.SCREEN_PAGES)
    assert [e.id for e in groups[manual.REGULATIONS_GROUP]] == [f"regulation-{p}" for p in PROFILES]
    assert manual.page_ids() == [e.id for e in manual.entries()]
    titles = {e.id: e.title for e in manual.entries()}
    assert titles["documents"] == "文书（预览、签发、盖章、打印、作废、核验）"
    assert titles["cli"] == "命令行 wenze"  # no Markdown in the contents
    assert {e.id: e.label for e in manual.entries()}["documents"] == "文书"
    assert titles["regulation-gz2009"] == "《广州问责暂行办法》"


@pytest.mark.parametrize("page_id", SCREENS)
def test_every_screen_page_file_exists_and_starts_with_its_heading(page_id):
    path = manual.screen_file(page_id)
    assert path.is_file(), f"{path} is missing"
    assert path.read_text(encoding="utf-8").startswith("# ")


@pytest.mark.parametrize("page_id", SCREENS)
def test_a_screen_page_shows_real_images_and_links_to_pages_that_exist(page_id):
    text = manual.markdown(page_id)
    for image in manual.images(text):
        assert (manual.manual_dir() / image).is_file(), f"{page_id}: image {image} is missing"
    for link in manual.links(text):
        assert manual.page_of_href(link) is not None, f"{page_id}: link {link} leads nowhere in the manual"


def test_every_page_but_the_command_line_has_a_picture_and_every_picture_is_used():
    used = {image for page_id in SCREENS for image in manual.images(manual.markdown(page_id))}
    assert all(manual.images(manual.markdown(p)) for p in SCREENS if p not in ("backup", "cli"))
    shipped = {f"images/{p.name}" for p in manual.images_dir().glob("*.png")}
    assert used <= shipped and shipped <= used, f"unused: {shipped - used}, missing: {used - shipped}"


def test_the_manual_stays_small_in_the_bundle():
    total = sum(p.stat().st_size for p in manual.manual_dir().rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024


@pytest.mark.parametrize("profile_id", PROFILES)
def test_a_regulation_page_names_every_step_record_deadline_and_article(profile_id):
    profile, text = load_profile(profile_id), manual.markdown(f"regulation-{profile_id}")
    assert text.startswith(f"# 《{profile.short_title}》")
    assert profile.title in text and profile.document_number in text and profile.status in text
    steps = [line for line in text.splitlines() if line.startswith("### ")]
    for number, step in enumerate(profile.steps, 1):
        assert steps[number - 1].startswith(f"### {number}. {step.label}"), "steps in the profile's order"
        if step.article:
            assert f"条文：{step.article}" in text
    for transition in profile.transitions:
        assert (transition.label or ACTION_LABELS[transition.action]) in text
        for spec in fields.fields_of(transition.action):
            if spec.key not in ("delay_reason", "paper_ref", "paper_scan"):
                assert spec.label in text, f"{transition.action}: field {spec.label} not described"
        for document in transition.documents:
            assert DOCUMENT_KINDS[document] in text
    for rule in profile.deadlines:
        assert rule.label in text and rule.article in text and rule.describe_period() in text
        if rule.extendable and rule.extension_article:
            assert rule.extension_article in text
    for form in profile.forms:
        assert form.name in text and form.article in text
    for effect in profile.after_effects:
        assert effect.article in text
    assert "## 条文未作规定之处，本系统的做法" in text


def test_a_regulation_page_quotes_the_article_of_each_step_and_says_what_is_required():
    text = manual.markdown("regulation-gz2009")
    words = load_text("gz2009").find("第二十一条第一款")[0].text
    assert f"> {words[:40]}" in text  # the step's own article, quoted
    assert "期限：**送达调查通知**：自「立项」之日起3个工作日内完成「送达调查通知」（第二十一条第一款）" in text
    assert "处理方式为「复核」时适用" in text  # a deadline's condition, in words
    assert "批准人＊" in text and "呈批表编号或选择其扫描件" in text  # who approved the filing, required
    assert "经批准可以延长（第二十三条第二款）" in text


def test_where_the_text_is_silent_the_page_says_it_is_the_programs_reading():
    text = manual.markdown("regulation-jc2017")
    assert "本规定对此未作规定，本系统的做法：本办法未规定归档" in text
    assert "调查人员人数（本规定未作规定，本系统的做法）" in text


@pytest.mark.parametrize("page_id", manual.page_ids())
def test_no_code_word_reaches_the_clerk(page_id):
    text = prose(manual.markdown(page_id))
    keys = set(ACTION_LABELS) | {k for action in ACTION_LABELS for k in fields.stored_keys(action)} | {
        s.id for p in all_profiles() for s in p.steps} | {d.id for p in all_profiles() for d in p.deadlines}
    found = {word for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text) if word in keys or "_" in word}
    assert not found, f"{page_id}: code words {sorted(found)}"
    if page_id.startswith(manual.REGULATION_PREFIX):  # generated from data: not one English word
        assert not re.findall(r"[A-Za-z]{3,}", text)


def test_links_inside_the_manual_name_pages_and_nothing_else():
    assert manual.page_of_href("documents.md") == "documents"
    assert manual.page_of_href("documents.md#签发") == "documents"
    assert manual.page_of_href("manual:/regulation-wf2011.md") == "regulation-wf2011"
    assert manual.page_of_href("https://www.gov.cn/documents.md") is None
    assert manual.page_of_href("../README.md") is None
    assert manual.page_of_href("nosuch.md") is None
    with pytest.raises(manual.ManualError, match="没有「nosuch」这一页"):
        manual.markdown("nosuch")


def test_search_finds_pages_by_every_word():
    assert "documents" in manual.search("签发 作废")
    assert manual.search("签发 作废")[0] != "regulation-gz2009"
    assert manual.search("不会出现的字词组合甲乙丙") == []
    assert "regulation-wf2011" in manual.search("责令公开道歉")
