"""The regulations' texts shipped in resources/regulations/texts: split by article, 款 and 项, and faithful."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from wenze_desktop.errors import ValidationError
from wenze_desktop.rules.profiles import profile_ids
from wenze_desktop.rules.texts import CitationError, load_text, numeral, parse_text, texts_dir

SAMPLE = """# 测试办法
# 来源：seeds/000.txt
测试办法
第一章 总则
第一条 为了测试，制定本办法。
第二条 有下列情形之一的，应当问责：
（一）甲。
（二）乙。
对前款情形，可以从重。
（一）丙。
第三条 本办法自发布之日起施行。
@条号 第三条（二）
第三条 重复的条号。
@文件 附件
附件说明
@条号 第一部分
第一部分：基本情况。
@条号 “二、主要任务”第2条
2.对……整改。
"""


def test_numerals():
    assert [numeral(n) for n in ("一", "十", "十一", "二十四", "三十", "一百零二", "七")] == [1, 10, 11, 24, 30, 102, 7]
    assert numeral("12") == 12
    with pytest.raises(ValueError):
        numeral("甲")


def test_articles_paragraphs_and_items():
    text = parse_text("t", SAMPLE)
    assert [a.citation for a in text.articles] == ["第一条", "第二条", "第三条", "第三条（二）", "附件第一部分",
                                                   "附件“二、主要任务”第2条"]
    second = text.article("", "第二条")
    assert [p.text for p in second.paragraphs] == ["有下列情形之一的，应当问责：", "对前款情形，可以从重。"]
    assert [n for n, _ in second.paragraphs[0].items] == [1, 2] and second.chapter == "第一章 总则"
    assert text.header == ("测试办法", "来源：seeds/000.txt") and text.source == "seeds/000.txt"
    assert dict(text.preambles) == {"": "测试办法", "附件": "附件说明"}


@pytest.mark.parametrize(("citation", "words"), [
    ("第二条", "甲"), ("第二条第一款", "（二）乙。"), ("第二条第二款", "对前款情形"), ("第二条（二）", "（二）乙。"),
    ("第二条第二款（一）", "（一）丙。"), ("第三条（二）", "重复的条号。"), ("附件第一部分", "基本情况"),
    ("附件“二、主要任务”第2条", "整改"), ("附件", "附件说明"),
])
def test_citations_find_their_words(citation, words):
    (passage,) = parse_text("t", SAMPLE).find(citation)
    assert words in passage.text


def test_second_part_of_a_citation_inherits_the_document():
    passages = parse_text("t", SAMPLE).find("附件第一部分、“二、主要任务”第2条")
    assert [p.citation for p in passages] == ["附件第一部分", "附件“二、主要任务”第2条"]
    assert [p.citation for p in parse_text("t", SAMPLE).find("第一条、第二条（一）")] == ["第一条", "第二条（一）"]


@pytest.mark.parametrize("citation", ["第九条", "第二条第三款", "第二条（三）", "第一条第一款（一）", "第二条之一", "",
                                      "第二条第一款第二款"])
def test_unknown_citations_are_refused(citation):
    with pytest.raises(CitationError):
        parse_text("t", SAMPLE).find(citation)


def test_duplicate_article_numbers_must_be_told_apart():
    with pytest.raises(ValidationError, match="条号重复"):
        parse_text("t", "第一条 甲。\n第一条 乙。\n")


@pytest.mark.parametrize("profile_id", profile_ids())
def test_each_text_names_its_source_and_cleaning(profile_id):
    text = load_text(profile_id)
    assert text.source.startswith("seeds/") and any(line.startswith("整理") for line in text.header)
    assert len(text.articles) >= 10


# -- faithful to the seed (where ../shared/seeds is beside the checkout) -------------------------------------------

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
# Page numbers of the printed original that the web copy mixed into sentences; the shipped text drops them.
PAGE_NUMBERS = {"gz2009": (("重4大", "重大"), ("优秀,6一年", "优秀,一年"), ("告8知", "告知"))}


def _plain(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed texts are not beside this checkout (../shared/seeds)")
@pytest.mark.parametrize("profile_id", profile_ids())
def test_every_line_is_the_seeds_own_words(profile_id):
    text = load_text(profile_id)
    seed = _plain((SEEDS / Path(text.source.split("，")[0].split("（")[0]).name).read_text(encoding="utf-8"))
    for page_number, word in PAGE_NUMBERS.get(profile_id, ()):
        seed = seed.replace(page_number, word)
    source = (texts_dir() / f"{profile_id}.txt").read_text(encoding="utf-8").splitlines()
    foreign = [line for line in source if line.strip() and not line.startswith(("#", "@")) and _plain(line) not in seed]
    assert foreign == []
