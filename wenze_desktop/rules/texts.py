"""The regulations' own texts (``resources/regulations/texts/<id>.txt``), split by article, 款 and 项.

A profile cites ``第二十四条第二款``, ``第十四条（一）``, ``责任追究办法第九条（二）`` or several joined by 、; ``find``
turns a citation into the passages it names, so a refusal can show the article's words and tests can check that a
citation says what the rule claims. The file format is in docs/profile-format.md ("The regulation's text").
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wenze_desktop.errors import ValidationError
from wenze_desktop.paths import resources_dir

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL = "零〇一二两三四五六七八九十百0-9"
_ARTICLE_LINE = re.compile(rf"^(第[{_NUMERAL}]+条)\s*(.*)$")
_CHAPTER_LINE = re.compile(rf"^第[{_NUMERAL}]+章")
_ITEM_LINE = re.compile(rf"^（([{_NUMERAL}]+)）")
_REST = re.compile(rf"^(?:第([{_NUMERAL}]+)款)?(?:（([{_NUMERAL}]+)）)?$")


class CitationError(ValidationError):
    """A citation that names no passage of the shipped text."""


def numeral(text: str) -> int:
    """A Chinese (or Arabic) number as written in article, paragraph and item numbers: 三, 十一, 二十四, 一百零二."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            raise ValueError(text)
    return total + current


@dataclass(frozen=True)
class Paragraph:
    """A 款: its own line and the items (项) under it, each as (number, line)."""

    text: str
    items: tuple[tuple[int, str], ...] = ()

    @property
    def full(self) -> str:
        return "\n".join([self.text, *(line for _, line in self.items)])


@dataclass(frozen=True)
class Article:
    document: str  # "" for a single-document text, else the prefix citations use (责任追究办法, 解读 …)
    key: str  # 第十一条, or the file's own @条号 key (第十五条（二）, “二、主要任务”第2条)
    heading: str  # the line as the text writes it up to the first paragraph (第十一条)
    chapter: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def citation(self) -> str:
        return self.document + self.key

    @property
    def text(self) -> str:
        return "\n".join(p.full for p in self.paragraphs)

    def item(self, number: int, paragraph: int = 0) -> str | None:
        scope = [self.paragraphs[paragraph - 1]] if paragraph else self.paragraphs
        return next((line for p in scope for n, line in p.items if n == number), None)


@dataclass(frozen=True)
class Passage:
    """What one citation names: the words of the article, paragraph or item, and the article they belong to."""

    citation: str
    article: Article
    text: str

    @property
    def is_whole_article(self) -> bool:
        return self.citation == self.article.citation


@dataclass(frozen=True)
class RegulationText:
    profile_id: str
    header: tuple[str, ...]  # the file's comment lines: title, source, what was cleaned
    preambles: tuple[tuple[str, str], ...]  # (document, preamble text)
    articles: tuple[Article, ...]

    @property
    def documents(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.document for a in self.articles))

    @property
    def title(self) -> str:
        return self.header[0] if self.header else self.profile_id

    @property
    def source(self) -> str:
        return next((line.split("：", 1)[1] for line in self.header if line.startswith("来源：")), "")

    def article(self, document: str, key: str) -> Article | None:
        return next((a for a in self.articles if a.document == document and a.key == key), None)

    def find(self, citation: str) -> tuple[Passage, ...]:
        """The passages a citation names; CitationError when any part of it names nothing in this text."""
        passages, document = [], None
        for part in _split(citation):
            passage = self._find_one(part, document)
            document = passage.article.document
            passages.append(passage)
        if not passages:
            raise CitationError(f"条文出处为空：「{citation}」。")
        return tuple(passages)

    def resolves(self, citation: str) -> bool:
        try:
            self.find(citation)
        except CitationError:
            return False
        return True

    def words(self, citation: str) -> str:
        """The cited words, each passage headed by its citation (for a tooltip or the 查看条文 window)."""
        return "\n\n".join(f"{p.citation}\n{p.text}" for p in self.find(citation))

    def _find_one(self, part: str, inherited: str | None) -> Passage:
        documents = sorted((d for d in self.documents if d and part.startswith(d)), key=len, reverse=True)
        document = documents[0] if documents else (inherited if inherited is not None else "")
        rest = part[len(document):] if documents else part
        if documents and not rest:
            return self._whole(document)
        keys = sorted((a.key for a in self.articles if a.document == document and rest.startswith(a.key)),
                      key=len, reverse=True)
        if not keys:
            raise self._unknown(part)
        article = self.article(document, keys[0])
        match = _REST.match(rest[len(keys[0]):])
        if article is None or match is None:
            raise self._unknown(part)
        paragraph_no = numeral(match.group(1)) if match.group(1) else 0
        item_no = numeral(match.group(2)) if match.group(2) else 0
        if paragraph_no > len(article.paragraphs):
            raise CitationError(f"{article.citation}只有{len(article.paragraphs)}款，没有「{part}」。")
        if item_no:
            words = article.item(item_no, paragraph_no)
            if words is None:
                raise CitationError(f"{article.citation}没有「{part}」所指的项。")
        elif paragraph_no:
            words = article.paragraphs[paragraph_no - 1].full
        else:
            words = article.text
        return Passage(document + rest, article, words)


    def _unknown(self, part: str) -> CitationError:
        part = part if len(part) <= 40 else part[:39] + "…"  # an absurd citation is not echoed whole
        return CitationError(f"《{self.title}》中没有「{part}」；请核对条、款、项的写法"
                             "（如 第十一条、第二十四条第二款、第十四条（一））。")

    def _whole(self, document: str) -> Passage:
        """A document cited as a whole (wf2011's 附件（式样）): its preamble and every unit."""
        preamble = dict(self.preambles).get(document, "")
        units = [a for a in self.articles if a.document == document]
        paragraphs = ((Paragraph(preamble),) if preamble else ()) + tuple(p for a in units for p in a.paragraphs)
        whole = Article(document, "", document, "", paragraphs)
        return Passage(document, whole, whole.text)


def _split(citation: str) -> list[str]:
    """Parts joined by 、, except inside “…” (快速处置制度“二、主要任务”第2条)."""
    parts, current, quoted = [], "", False
    for char in citation.strip():
        if char in "“”":
            quoted = char == "“"
        if char == "、" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


# -- reading -----------------------------------------------------------------------------------------------------

def texts_dir() -> Path:
    return resources_dir() / "regulations" / "texts"


def parse_text(profile_id: str, source: str) -> RegulationText:
    header: list[str] = []
    preambles: dict[str, list[str]] = {}
    articles: list[Article] = []
    document, chapter, forced_key = "", "", ""
    current: dict | None = None

    def close() -> None:
        nonlocal current
        if current is not None:
            paragraphs = tuple(Paragraph(text, tuple(items)) for text, items in current["paragraphs"])
            articles.append(Article(document, current["key"], current["heading"], chapter, paragraphs))
        current = None

    for raw in source.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            header.append(line.lstrip("#").strip())
            continue
        if line.startswith("@文件"):
            close()
            document, chapter = line.removeprefix("@文件").strip(), ""
            continue
        if line.startswith("@条号"):
            forced_key = line.removeprefix("@条号").strip()
            continue
        article_line = _ARTICLE_LINE.match(line)
        if forced_key or article_line:
            close()
            key = forced_key or article_line.group(1)
            heading, first = (article_line.group(1), article_line.group(2)) if article_line else ("", line)
            current = {"key": key, "heading": heading, "paragraphs": [[first, []]] if first else []}
            forced_key = ""
            continue
        if _CHAPTER_LINE.match(line):
            close()
            chapter = line
            continue
        if current is None:
            preambles.setdefault(document, []).append(line)
            continue
        item = _ITEM_LINE.match(line)
        if item and current["paragraphs"]:
            current["paragraphs"][-1][1].append((numeral(item.group(1)), line))
        else:
            current["paragraphs"].append([line, []])
    close()
    keys = [(a.document, a.key) for a in articles]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        named = "、".join(d + k for d, k in duplicates)
        raise ValidationError(f"《{profile_id}》的条文文件中条号重复：{named}（用 @条号 区分）。")
    return RegulationText(profile_id, tuple(header), tuple((d, "\n".join(p)) for d, p in preambles.items()),
                          tuple(articles))


@cache
def load_text(profile_id: str) -> RegulationText:
    path = texts_dir() / f"{profile_id}.txt"
    if not path.is_file():
        raise ValidationError(f"缺少问责规定「{profile_id}」的条文文件 {path.name}；请重新安装本程序。")
    return parse_text(profile_id, path.read_text(encoding="utf-8"))


def cited_articles(data, where: str = "") -> list[tuple[str, str]]:
    """Every (place, citation) in a profile's raw TOML: the value of each key ending in ``article``."""
    found: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            place = f"{where}.{key}" if where else key
            if key.endswith("article") and isinstance(value, str) and value:
                found.append((place, value))
            else:
                found.extend(cited_articles(value, place))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.extend(cited_articles(value, f"{where}[{index}]"))
    return found


def main(argv: list[str]) -> int:
    """``python -m wenze_desktop.rules.texts <id>…``: list every profile citation the shipped text cannot resolve."""
    from wenze_desktop.rules.profiles import load_profile, profile_ids

    bad = 0
    for profile_id in argv or profile_ids():
        text = load_text(profile_id)
        print(f"{profile_id}: {len(text.articles)} articles in {', '.join(d or '(main)' for d in text.documents)}")
        for place, citation in cited_articles(load_profile(profile_id).raw):
            try:
                text.find(citation)
            except CitationError as error:
                bad += 1
                print(f"  {place}: {citation} -> {error}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
