"""Word lists the PII finders consult: common words per language and a name gazetteer.

Common words are spaCy's stop words for the language plus greetings, chat words,
weekdays and months (below); a person-name finding made only of such words is dropped,
so "Hallo", "Danke", "Claro" or "Привет" never become ``<PERSON>``. The finders decide
when a capitalised common word that is also a name ("Rosa", "Will") counts.

The gazetteer is the given names and surnames of Faker's person providers (MIT licence,
https://github.com/joke2k/faker, ``faker/providers/person/<locale>/__init__.py``) for the
locales of the eight languages we measure, read from the installed package, never
downloaded. Russian names are also
matched in their inflected forms (Томом, Марии), and English given names in a Cyrillic
transliteration (Tom -> Том), since Russian chats write foreign names that way. A letter-by-
letter transliteration misses the conventional spellings (Mary is Мэри, not Мари; David is
Дэвид), so the common foreign given names are also listed in their usual Russian spelling
(``_RU_FOREIGN_GIVEN_NAMES``, our own list); their case forms come from the same rule.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
import unicodedata
from pathlib import Path

__all__ = [
    "CHINESE_ORDINARY_NR",
    "CHINESE_PLACES",
    "CHINESE_SURNAMES",
    "CHINESE_TRANSLITERATION",
    "JAPANESE_SURNAMES",
    "chat_words",
    "common_words",
    "fold",
    "given_names",
    "is_common",
    "is_given_name",
    "is_known_name",
    "surnames",
]

_LOCALES = {
    "en": ("en_US", "en_GB"),
    "de": ("de_DE", "de_AT", "de_CH"),
    "fr": ("fr_FR", "fr_CH"),
    "es": ("es_ES", "es_MX"),
    "pt": ("pt_BR", "pt_PT"),
    "it": ("it_IT",),
    "ru": ("ru_RU",),
}

# Greetings, thanks, chat words, weekdays and months: capitalised at the start of a
# message, they look like names to a model trained on news.
_CHAT_WORDS = {
    "en": "hi hey hello thanks thx ok okay yes yeah yep nope lol haha cheers bye morning "
    "evening night tonight tomorrow today monday tuesday wednesday thursday friday saturday "
    "sunday january february march april may june july august september october november "
    "december sorry please cool great sure",
    "de": "hallo hi hey servus moin tschüss tschüs danke bitte ja nein jo nö ok okay klar "
    "super genau morgen heute abend nacht montag dienstag mittwoch donnerstag freitag "
    "samstag sonntag januar februar märz april mai juni juli august september oktober "
    "november dezember uhr bis gute grüße liebe lieber prost",
    "fr": "salut bonjour bonsoir coucou merci oui non ouais ok okay d'accord bisous demain "
    "aujourd'hui soir nuit lundi mardi mercredi jeudi vendredi samedi dimanche janvier "
    "février mars avril mai juin juillet août septembre octobre novembre décembre super "
    "génial",
    "es": "hola gracias sí si no vale claro bueno buenas buenos días mañana hoy noche tarde "
    "lunes martes miércoles jueves viernes sábado domingo enero febrero marzo abril mayo "
    "junio julio agosto septiembre octubre noviembre diciembre genial jaja jajaja vamos "
    "adiós chao",
    "pt": "olá oi obrigado obrigada sim não nao valeu beleza claro bom boa dia amanhã hoje "
    "noite tarde segunda terça quarta quinta sexta sábado domingo janeiro fevereiro março "
    "abril maio junho julho agosto setembro outubro novembro dezembro vamos tchau kkkk "
    "ótimo",
    "it": "ciao salve grazie prego sì si no va bene buongiorno buonasera buonanotte domani "
    "oggi sera notte lunedì martedì mercoledì giovedì venerdì sabato domenica gennaio "
    "febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre perfetto dai andiamo",
    "ru": "привет здравствуйте спасибо пожалуйста да нет ок окей ладно пока как дела "
    "завтра сегодня вечер ночь утро понедельник вторник среда четверг пятница суббота "
    "воскресенье январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь "
    "декабрь хорошо отлично",
    "zh": "你好 谢谢 好的 没问题 明天 今天 晚安 早上好 哈哈",
}

#: The most common Chinese surnames (single and compound), for checking segmenter hits.
CHINESE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰"
    "焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁"
    "蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂"
    "全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝陳張劉楊黃趙"
    "吳孫馬鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸範賈韋鄒閻龔萬錢嚴顏莊聶魯歐蘭俞紀畢塗駱藍鮑饒陽穆"
) | frozenset(("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐"))

# Ordinary words that jieba's dictionary tags ``nr`` (person) and that start like a name (a
# surname character first): read off by hand from its most frequent such entries (frequency
# >= 200), so a person-name finding made of one of them is dropped. The last lines: frequent
# ``nr``/``nrt`` words spelled only with transliteration sounds (多谢 "thanks", 保姆 "nanny").
_CHINESE_ORDINARY_NR_TEXT = """
    明白 武功 文明 和尚 王朝 阳光 陆军 卫星 雷达 荣誉 古老 冷笑 武林 明星 宫殿 师傅 维生素 胡同
    师兄 顾问 王爷 王公 白雪 高峰 齐声 文武 石英 金殿 师哥 高潮 齐全 黄金周 顾客 辛勤 米粉
    古建筑 胡子 王府 叶子 安静 谢谢 白领 康复 沙滩 师范 梅花 吉祥 范畴 周转 孙子 杜鹃花 宁可
    比武 凌辱 高明 陈述 荣获 丛林 马匹 关怀 林立 明珠 王子 温泉 向阳 黎明 陈列 宁静 蓝天 金刚
    左翼 师生 冷汗 安抚 高僧 许可 朱红 柴禾 杜绝 卓越 沙丘 季后赛 白莲 石狮 童子 祝贺 师母
    兰花 岳父 史诗 谢恩 白白 凌厉 沙皇 师娘 王八 荣耀 胡闹 桂花 高悬 马背 乔木 毛巾 麦子 郎中
    白布 胡萝卜 张开 金石 马夫 陈设 高薪 华丽 麻木 金字塔 白发 金黄 林子 林木 杨柳 梅子 安危
    查明 胡涂 石柱 杜鹃 张贴 周旋 白云 田园 高耸 孔雀 梅林 王宫 龙王 杜仲 朱砂 史实 张嘴 古文
    张口 许可证 李子 焦黄 凌空 雷声 钱财 安全性 万世 温馨 白银 蓝图 殷勤 明智 陈旧 祝福 严正
    高昂 庄园 金光 顾忌 龙宫 高超 宫阙 胡椒 徐徐 古文化 高雅 郎君 高坡 白旗 常青 牛马 时髦
    凯旋 卫冕 古董 施政 明朗 熊猫 钟声 明文 陶醉 任凭 高喊 麻醉 宗庙 周全 毛发 白昼 施礼 边远
    雷霆 张望 柳树 许诺 白痴 王妃 岳母 史前 涂抹 师爷 马鞭 王后 王权 雷阵雨 黄牛 朱笔 孙女
    马鞍 柏树 丛生 鲁莽 盛世 庄客 于今 马刀 石阶 农耕 冉冉 唐诗 张扬 汪洋 全家福 农家乐 周密
    罗汉 熊掌 吉普车 金元宝 金刚石 胡人 白玉兰 高新区 梅雨期 田野 比萨 戴眼镜 涩谷
    多谢 保姆 伯伯 道德 登基 豪杰 富豪 默契 休克 勒索 恩爱 博爱 拜托 道谢 希奇 通达 托福 科普
    多达 富丽 索道 切莫 科考 赫赫 朗朗
"""
CHINESE_ORDINARY_NR = frozenset(_CHINESE_ORDINARY_NR_TEXT.split())

#: Characters of the standard transliteration table for foreign names (simplified), the
#: sounds 南希 (Nancy), 贝蒂 (Betty) and 戴维斯 (Davis) are spelled with.
CHINESE_TRANSLITERATION = frozenset(
    "阿埃艾爱安昂奥澳巴拜班邦包保鲍贝本比彼毕宾波伯勃博布查达戴丹道德登迪蒂丁东杜多厄恩尔法"
    "范菲芬费弗福富盖甘冈高戈格根古哈海汉豪赫亨胡华霍基吉加贾杰捷金卡凯坎康考柯科可克肯库奎"
    "拉莱赖兰朗劳勒雷蕾里丽利莉连林琳卢鲁路伦罗洛马玛迈麦曼梅美蒙米密敏莫默姆穆纳娜奈南内尼"
    "妮宁纽诺努欧帕潘佩彭皮珀普奇琪契乔切琼丘萨赛桑瑟森沙莎尚舍什施史斯松苏索塔泰坦汤唐特提"
    "汀通图托瓦万威韦维温沃乌西希夏谢辛休雅亚扬耶伊因英尤约扎詹珍朱兹佐泽"
)

# Places (simplified) spelled with the same sounds, several of which jieba's dictionary
# tags as person names (夏威夷, 马德里): countries, regions, states and large cities.
_CHINESE_PLACES_TEXT = """
    夏威夷 马德里 巴黎 伦敦 柏林 罗马 米兰 威尼斯 纽约 洛杉矶 芝加哥 波士顿 休斯敦 旧金山 华盛顿
    费城 迈阿密 拉斯维加斯 温哥华 多伦多 蒙特利尔 悉尼 墨尔本 奥克兰 莫斯科 圣彼得堡 基辅 华沙
    布拉格 维也纳 苏黎世 日内瓦 布鲁塞尔 阿姆斯特丹 哥本哈根 斯德哥尔摩 奥斯陆 赫尔辛基 里斯本
    巴塞罗那 雅典 伊斯坦布尔 开罗 迪拜 德里 孟买 曼谷 河内 首尔 东京 大阪 京都 新加坡 雅加达 马尼拉
    吉隆坡 墨西哥 巴西 阿根廷 智利 秘鲁 哥伦比亚 古巴 加拿大 美国 英国 法国 德国 意大利 西班牙
    葡萄牙 荷兰 比利时 瑞士 瑞典 挪威 丹麦 芬兰 波兰 希腊 土耳其 埃及 印度 泰国 越南 俄罗斯
    澳大利亚 澳洲 新西兰 爱尔兰 苏格兰 英格兰 威尔士 匈牙利 罗马尼亚 奥地利 以色列 伊朗 伊拉克
    叙利亚 约旦 黎巴嫩 沙特 肯尼亚 尼日利亚 南非 加州 加利福尼亚 德克萨斯 佛罗里达 内华达 俄亥俄
    密歇根 亚利桑那 阿拉斯加 科罗拉多 哈佛 牛津 剑桥 波尔多 马赛 里昂 尼斯 慕尼黑 汉堡 法兰克福
    科隆 那不勒斯 佛罗伦萨 都灵 西西里 亚洲 欧洲 非洲 美洲 乌克兰 阿拉伯 斯巴达 拉萨 阿曼 科索沃
    哈萨克 巴格达 斯里兰卡 科威特 扎伊尔 西德 东德 索马里 贝宁 斯图加特 乌拉尔 波恩 加勒比
    科特迪瓦 切尔西 汉诺威 布达佩斯 萨克森 帕米尔 菲尼克斯 里加 萨尔瓦多 巴勒莫 帕尔马 塔吉克
    莱索托 尼德兰 珀斯 伯尔尼 阿尔泰 特洛伊 乌兰巴托 西雅图 贝鲁特 巴巴多斯 伯利兹 雅尔塔 多特蒙德
    瓦努阿图 帕尔玛 多米尼加 达卡 巴拿马 牙买加 海地 多哈 德黑兰 喀布尔 伊斯兰堡 加德满都 仰光
    金边 万象 达沃斯 戛纳 摩纳哥 卢森堡 列支敦士登 冰岛 格陵兰 蒙古 朝鲜 韩国 日本 菲律宾 马来西亚
    印尼 印度尼西亚 文莱 老挝 柬埔寨 缅甸 尼泊尔 不丹 孟加拉 巴基斯坦 阿富汗 哈萨克斯坦 乌兹别克斯坦
    格鲁吉亚 亚美尼亚 阿塞拜疆 白俄罗斯 立陶宛 拉脱维亚 爱沙尼亚 斯洛伐克 斯洛文尼亚 克罗地亚
    塞尔维亚 波斯尼亚 黑山 阿尔巴尼亚 马其顿 保加利亚 摩尔多瓦 塞浦路斯 马耳他 突尼斯 摩洛哥
    阿尔及利亚 利比亚 苏丹 埃塞俄比亚 坦桑尼亚 乌干达 卢旺达 加纳 塞内加尔 喀麦隆 刚果 安哥拉
    赞比亚 津巴布韦 莫桑比克 马达加斯加 委内瑞拉 厄瓜多尔 玻利维亚 巴拉圭 乌拉圭 哥斯达黎加
    尼加拉瓜 洪都拉斯 危地马拉 波多黎各 百慕大 檀香山 奥兰多 达拉斯 丹佛 西雅图 亚特兰大 底特律
    匹兹堡 费城 巴尔的摩 新奥尔良 圣地亚哥 圣保罗 里约热内卢 布宜诺斯艾利斯 利马 波哥大 加拉加斯
    渥太华 魁北克 卡尔加里 珀斯 布里斯班 阿德莱德 惠灵顿 曼彻斯特 利物浦 伯明翰 爱丁堡 都柏林
    格拉斯哥 牛津郡 诺丁汉 巴斯 约克 鹿特丹 海牙 安特卫普 汉诺威 杜塞尔多夫 德累斯顿 莱比锡
    纽伦堡 科隆 斯特拉斯堡 图卢兹 尼斯 蒙彼利埃 里尔 南特 波尔图 塞维利亚 瓦伦西亚 格拉纳达
    利兹 威尼斯 维罗纳 比萨 热那亚 博洛尼亚 巴勒莫 卡萨布兰卡 开普敦 约翰内斯堡 内罗毕 拉各斯
"""
CHINESE_PLACES = frozenset(_CHINESE_PLACES_TEXT.split())

#: Common Japanese surnames as Chinese text writes them (simplified), for names such as
#: 佐佐木贞子 or 田中 that Chinese sentences translated from Japanese carry.
_JAPANESE_SURNAMES_TEXT = """
    佐藤 铃木 高桥 田中 渡边 伊藤 山本 中村 小林 加藤 吉田 山田 佐佐木 山口 松本 井上 木村 斋藤
    清水 山崎 森田 池田 桥本 阿部 石川 山下 中岛 石井 小川 前田 冈田 长谷川 藤田 后藤 近藤 村上
    远藤 青木 坂本 斉藤 福田 太田 西村 藤井 冈本 松田 中川 中野 原田 小野 竹内 金子 和田 中山
    石田 上田 小岛 酒井 宫崎 横山 宫本 内田 高木 安藤 岛田 谷口 大野 丸山 今井 河野 藤原
"""
JAPANESE_SURNAMES = frozenset(_JAPANESE_SURNAMES_TEXT.split())

_TRANSLIT = {
    "a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х",
    "i": "и", "j": "дж", "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п",
    "q": "к", "r": "р", "s": "с", "t": "т", "u": "у", "v": "в", "w": "у", "x": "кс",
    "y": "и", "z": "з",
}  # fmt: skip
# Common English and other Western given names in their conventional Russian spelling
# (practical transcription: "a" in Mary -> "э", "j" -> "дж", "th" -> "т"), where a
# letter-by-letter transliteration gives another spelling. Written for this project;
# spellings that are also Russian words (Пол "floor", Кит "whale", Люк, Тина, Руби) left out.
_RU_FOREIGN_GIVEN_NAMES_TEXT = """
    Мэри Мэрилин Мэтт Мэтью Мэгги Мэг Мэй Дэвид Дэйв Дэниел Дэн Дэнни Дэниэл Джон Джонни
    Джонатан Джей Джейк Джейкоб Джейн Джейми Джеймс Джейсон Джек Джеки Джефф Джеффри Джим
    Джимми Джо Джой Джош Джошуа Джордж Джозеф Джулия Джули Джуди Джессика Дженнифер Дженни
    Джанет Джоан Джилл Джина Элис Элизабет Элеонора Элла Элли Эмили Эмма Энн Энни Эндрю
    Энтони Эрик Эдвард Эдди Эван Эшли Этан Итан Эйми Эми Эйприл Эбби Эмбер Эллен Эльза
    Уильям Уилл Уолтер Уэйн Уэсли Уинстон Уитни Уэнди Томас Томми Тимоти Тим Тед Тедди
    Тони Тейлор Тереза Трейси Тревор Тиффани Питер Пит Пэм Памела Патрик
    Пэт Пэтти Пенни Кейт Кейти Кэти Кэтрин Кэтлин Кэрол Кэролайн Кэролин Кэсси Кэти
    Кейси Кевин Кен Кенни Келли Кайл Карен Кристофер Кристина Кристи Крис Кларк Клэр
    Клер Конни Коннор Купер Майкл Майк Мэдисон Мэнди Меган Мелисса Мишель Мия Мередит
    Роберт Роб Робби Ричард Рик Рики Рэй Рэймонд Рейчел Ребекка Ронни Рональд Райан Ральф
    Роджер Рози Сара Сэм Сэмми Сэмюэл Сьюзан Сью Сьюзи Стив Стивен Стэнли Стэн
    Скотт Стефани Шэрон Шерил Шон Шелли Шейла Шарлотта Хелен Хизер Хэнк Хэнни Хейли Холли
    Хлоя Гэри Грег Грегори Грейс Гарри Генри Фрэнк Фрэнки Фрэнсис Фред Фредди Филип Фил
    Бетти Бет Бен Бенджамин Билл Билли Боб Бобби Брайан Брэд Бренда Бриджит Брюс Бэрри
    Барбара Бекки Лора Лорен Люси Линда Лиза Лиам Лили Ларри Лесли Лиззи Логан Нэнси
    Нэнси Ник Ники Натали Ноа Норман Оливер Оливия Оскар Остин Вирджиния Вики Винсент
    Донна Дороти Диана Дебора Дебби Дуглас Дин Дилан Даг Зак Зои Ирвин Иззи Айзек Айви
    Алан Аллен Алекс Амелия Аманда Анджела Эйден Адам Аарон
"""
_RU_FOREIGN_GIVEN_NAMES = frozenset(_RU_FOREIGN_GIVEN_NAMES_TEXT.split())
_RU_ENDINGS = ("ами", "ом", "ем", "ой", "ей", "ою", "ею", "ы", "и", "у", "ю", "а", "я", "е")
_RU_BASE_ENDINGS = ("", "а", "я", "й", "ия", "ь")
_NAME_SHAPE = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)?$")


def fold(text: str) -> str:
    """Lower case without diacritics, one character per character (offsets stay valid)."""
    return "".join(_fold_char(c) for c in text)


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[:1].lower()
    return base if len(base) == 1 else char


@functools.cache
def common_words(language: str) -> frozenset[str]:
    """Lower-case stop words and chat words of ``language`` (empty for unknown codes)."""
    words = set(_CHAT_WORDS.get(language, "").split())
    return frozenset(words | _spacy_stop_words(language))


def _spacy_stop_words(language: str) -> set[str]:
    """spaCy's stop-word list, loaded from its file alone: importing ``spacy.lang.fr``
    compiles the whole tokenizer (seconds) for a word list."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return set()
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / language / "stop_words.py"
    if not path.is_file():
        return set()
    namespace: dict[str, object] = {}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return {str(w).lower() for w in namespace.get("STOP_WORDS", ())}  # type: ignore[attr-defined]


def is_common(text: str, language: str) -> bool:
    """Every word of ``text`` is a common word of ``language`` or, for a single word, of
    any language we know (chat switches languages: "Danke" in an English message)."""
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", text.lower())
    vocab = common_words(language) | common_words("en")
    if len(words) == 1:
        vocab = vocab | _every_common_word()
    return bool(words) and all(w in vocab for w in words)


@functools.lru_cache(maxsize=1)
def chat_words() -> frozenset[str]:
    """Greetings, chat words, weekdays and months of every language we know."""
    return frozenset(word for words in _CHAT_WORDS.values() for word in words.split())


@functools.lru_cache(maxsize=1)
def _every_common_word() -> frozenset[str]:
    return frozenset().union(*(common_words(code) for code in _CHAT_WORDS))


def _provider_names(attribute: str) -> set[str]:
    every = tuple(locale for locales in _LOCALES.values() for locale in locales)
    return {n for n in _provider_names_for(every, attribute) if len(n) >= 2}


@functools.lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Given names as written (capitalised), with Cyrillic spellings of Latin ones."""
    names = _provider_names("first_names")
    spelt = {_transliterate(name) for name in names if name.isascii()}
    return frozenset(names | spelt | _RU_FOREIGN_GIVEN_NAMES)


@functools.lru_cache(maxsize=1)
def surnames() -> frozenset[str]:
    """Surnames as written (capitalised)."""
    return frozenset(_provider_names("last_names"))


def _provider_names_for(locales: tuple[str, ...], attribute: str) -> set[str]:
    names: set[str] = set()
    for locale in locales:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except ImportError:
            continue
        names |= {n for n in getattr(provider, attribute, ()) if _NAME_SHAPE.match(n)}
    return names


def _transliterate(name: str) -> str:
    out = "".join(_TRANSLIT.get(c, c) for c in name.lower())
    return out[:1].upper() + out[1:]


def is_given_name(word: str, language: str) -> bool:
    """``word`` (as written) is a known given name, Russian case forms included."""
    names = given_names()
    if word in names:
        return True
    if language == "ru" and len(word) > 3:
        for ending in _RU_ENDINGS:
            if word.endswith(ending):
                stem = word[: -len(ending)]
                if any(stem + base in names for base in _RU_BASE_ENDINGS):
                    return True
    return False


def is_known_name(word: str, language: str) -> bool:
    """``word`` is a known given name or surname."""
    return is_given_name(word, language) or word in surnames()
