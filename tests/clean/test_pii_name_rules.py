"""Person-name rules without a NER model: Russian foreign names and Chinese name tags (pii)."""

from __future__ import annotations

import pytest

from dataprep.clean.lexicon import is_given_name
from dataprep.clean.person_names import (
    ChineseNames,
    find_gazetteer_names,
    find_latin_subject_names,
)


def _names(text: str, language: str) -> list[str]:
    return [text[start:end] for start, end in find_gazetteer_names(text, language)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Том оставил Мэри короткое сообщение.", ["Том", "Мэри"]),
        ("Тому нравятся большие машины.", ["Тому"]),
        ("Том, как и я, художник.", ["Том"]),
        ("Мы знали, что Том говорит правду.", ["Том"]),
        ("Нам надо всё рассказать Тому.", ["Тому"]),
        ("Мэри понравилась Тому сразу.", ["Мэри", "Тому"]),
        ("Я видел Джона и Дэвида вчера.", ["Джона", "Дэвида"]),
        ("На Татоэбе есть учитель по имени Тепан.", ["Тепан"]),
    ],
    ids=[
        "tom-mary",
        "tomu-opens",
        "tom-comma",
        "tom-mid",
        "tomu-end",
        "mary-tomu",
        "cases",
        "po-imeni",
    ],
)
def test_russian_foreign_given_names_and_their_case_forms(text: str, expected: list[str]) -> None:
    assert _names(text, "ru") == expected


@pytest.mark.parametrize(
    "text",
    [
        "Том второй вышел в прошлом году.",
        "Том 2 лежит на полке.",
        "Тому, кто рано встаёт, бог подаёт.",
        "Тому назад лет десять здесь был лес.",
        "Тому подобное случается часто.",
        "Мы учимся тому, чего не знаем.",
        "Я думаю о том, что будет завтра.",
    ],
    ids=[
        "volume-ordinal",
        "volume-number",
        "tomu-relative",
        "tomu-ago",
        "tomu-such",
        "lower",
        "v-tom",
    ],
)
def test_russian_words_that_are_also_names_keep_their_ordinary_reading(text: str) -> None:
    assert _names(text, "ru") == []


@pytest.mark.parametrize("word", ["Мэри", "Джеймс", "Дэвидом", "Кэтрин", "Элис"])
def test_conventional_russian_spellings_of_foreign_names_are_known(word: str) -> None:
    assert is_given_name(word, "ru")


@pytest.fixture(scope="module")
def chinese() -> ChineseNames:
    pytest.importorskip("jieba")
    return ChineseNames()


def _chinese_names(finder: ChineseNames, text: str) -> list[str]:
    return [text[start:end] for start, end in finder.find(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("海倫正在院子裡玩。", ["海倫"]),  # traditional: read through the character map
        ("佐佐木貞子死於1955年10月25日。", ["佐佐木"]),  # a Japanese surname
        ("我昨天见到了汤姆。", ["汤姆"]),
        # Transliterations whose first sound is not a common surname (Nancy, Betty).
        ("他討厭南希。", ["南希"]),
        ("貝蒂有一把甜美的聲音。", ["貝蒂"]),
        # A middle dot joins one foreign name; 小 ("Jr.") and 先生 stay outside.
        ("他在回家路上遇到了小萨米·戴维斯先生。", ["萨米·戴维斯"]),
    ],
    ids=["helen-traditional", "sasaki", "tom", "nancy", "betty", "dotted"],
)
def test_chinese_names_in_both_scripts(
    chinese: ChineseNames, text: str, expected: list[str]
) -> None:
    assert _chinese_names(chinese, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "祝贺你",
        "你怎麼確定你的女朋友沒有假裝高潮?",
        "社區是安靜的。",
        "谢谢你的帮助。",
        # jieba's dictionary tags these person names: an idiom, places, frequent words
        # spelled with transliteration sounds.
        "她是個和藹可親的人。",
        "你为什么喜欢夏威夷？",
        "我週四去馬德里。",
        "道德和法律不一样。",
        "多谢你的帮忙。",
        "我们家请了一个保姆。",
    ],
    ids=[
        "congratulate",
        "climax",
        "quiet-traditional",
        "thanks",
        "kind-idiom",
        "hawaii",
        "madrid",
        "morality",
        "many-thanks",
        "nanny",
    ],
)
def test_ordinary_words_jieba_tags_as_names_are_not_names(chinese: ChineseNames, text: str) -> None:
    assert chinese.find(text) == []


def test_the_character_map_keeps_offsets(chinese: ChineseNames) -> None:
    text = "我昨天見到了瑪麗，她很好。"
    assert [text[s:e] for s, e in chinese.find(text)] == ["瑪麗"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ally喜欢和她的妹妹一起玩。", ["Ally"]),
        ("Elen不会说英语。", ["Elen"]),
        ("Timuçin在学波兰语。", ["Timuçin"]),
        ("我用Google查了一下。", []),
        ("Google说明天会下雨。", []),
        ("GitHub上有很多代码。", []),
    ],
    ids=["ally", "elen", "diacritic", "google-object", "google-says", "github-on"],
)
def test_latin_names_open_a_chinese_sentence_before_a_persons_verb(
    text: str, expected: list[str]
) -> None:
    assert [text[s:e] for s, e in find_latin_subject_names(text)] == expected


#: Ordinary Chinese messages that name tools and brands in Latin letters, as tech chats do.
CODE_SWITCHED_WITHOUT_PII = [
    "我用Google查了一下，没找到答案。",
    "你会用Python写爬虫吗？",
    "我们公司在招5名Java工程师。",
    "昨天装Docker的时候出错了。",
    "这个功能在Windows上不能用。",
    "我刚买了一台MacBook，用起来很顺手。",
    "你看过Netflix上的那部剧吗？",
    "用Excel做表格比较方便。",
    "我在GitHub上提交了代码。",
    "周末一起去Starbucks喝咖啡吧。",
]


@pytest.mark.model
def test_brands_and_tools_in_chinese_text_are_not_names(tmp_path) -> None:
    """A capitalised Latin word between Chinese characters is usually a brand or a tool, not
    a person: a rule that took every such word replaced 8 of these 10 messages."""
    import json

    from tests.conftest import run_main

    source = tmp_path / "in.jsonl"
    rows = [
        {"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": "好的"}]}
        for text in CODE_SWITCHED_WITHOUT_PII
    ]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = tmp_path / "out.jsonl"
    code, _, err = run_main("clean", source, "--out", out, "--no-split", "--no-dedupe", "-q")
    assert code == 0, err
    written = [
        json.loads(line)["messages"][0]["content"] for line in out.read_text("utf-8").splitlines()
    ]
    assert written == CODE_SWITCHED_WITHOUT_PII
