"""The localised lines WhatsApp writes instead of a message: media, deletions, calls.

WhatsApp translates these into the phone's language, so a reader that knows only English
turns an Italian ``‹immagine omessa›`` into training text. The strings were learned from
WhatsApp's own Android string resources (62 languages, see ``whatsapp_locales``) and from
public parsers and exports (only the strings; no code was taken). Where the hand-kept ones
below came from:

- ``ANDROID_MEDIA``: mlomb/chat-analytics, pipeline/parse/parsers/WhatsApp.ts at 02faef4f
  (AGPL-3.0; per-language Android "<media omitted>" strings).
- ``IOS_MEDIA`` (per-type "image omitted" lines): qualichat/qualichat, qualichat/enums.py at
  6a5c6200 (MIT; pt, en, es, de, it, fr) and chat-analytics (en, es).
- ``DELETED``: en/es/de/fr/it/pt/ru/he from a multilingual "WhatsApp Wrapped" parser found by
  code search; pt variants from a WhatsApp parser's ``DELETED_MARKERS``; nl from a parser
  marked "Translation confirmed 28.8.2024"; pl from a parser's Polish-locale list; id from a
  parser's ``IS_DELETED_CHAT``; tr and ar from chat apps mimicking WhatsApp's wording.
- ``VIEW_ONCE`` and ``MISSED_CALLS``: parsers found by code search (en, es, pt; pl, ru, it).

Strings are matched case-insensitively against a message's whole first line.
"""

from __future__ import annotations

import re

from dataprep.chat.readers.whatsapp_locales import ANDROID_STRINGS

__all__ = [
    "ANDROID_MEDIA",
    "DELETED",
    "FILE_ATTACHED",
    "IOS_DOCUMENT",
    "IOS_MEDIA",
    "LIVE_LOCATION",
    "LOCATION_PREFIXES",
    "MISSED_CALLS",
    "VIEW_ONCE",
    "alternation",
    "android_strings",
]


def _bare(text: str) -> str:
    """``<Media omitted>`` -> ``Media omitted``; ``(file attached)`` -> ``file attached``."""
    text = text.strip()
    if text[:1] + text[-1:] in ("<>", "()"):
        text = text[1:-1]
    return text.strip()


def android_strings(kind: str) -> dict[str, tuple[str, ...]]:
    """WhatsApp's Android strings of one kind, per language (brackets of media removed)."""
    found: dict[str, tuple[str, ...]] = {}
    for language, kinds in ANDROID_STRINGS.items():
        if kind in kinds:
            found[language] = tuple(_bare(s) for s in kinds[kind])
    return found


#: Android exports without media write one of these (inside < >) for every attachment.
ANDROID_MEDIA: dict[str, tuple[str, ...]] = {
    "af": ("media weggelaat",),
    "ar": ("تم استبعاد الوسائط",),
    "az": ("media buraxıldı", "Media çıxarılmışdır"),
    "bg": ("Без файл",),
    "bn": ("মিডিয়া বাদ দেওয়া হয়েছে",),
    "ca": ("fitxers multimèdia omesos", "Mitjans omesos"),
    "cs": ("média vynechány", "Média vynechána"),
    "da": ("medier udeladt", "Mediefil udeladt"),
    "de": ("Medien ausgeschlossen", "Medien weggelassen"),
    "el": ("αρχείο παραλήφθηκε", "Εξαίρεση πολυμέσων"),
    "en": ("Media omitted",),
    "es": ("Multimedia omitido", "Archivo omitido"),
    "et": ("meedia välja jäetud", "Meedia ära jäetud"),
    "fa": ("رسانه حذف شد", "پيوست نما/آهنگ حذف شد"),
    "fi": ("media jätettiin pois", "Media jätetty pois"),
    "fr": ("Médias omis", "Fichier omis"),
    "gu": ("મિડિયા છોડી મૂકાયું", "મીડિયા અવગણવામાં આવ્યા"),
    "he": ("המדיה לא נכללה", "מדיה הושמטה"),
    "hi": ("मीडिया के बिना",),
    "hr": ("medijski zapis izostavljen",),
    "hu": ("média elhagyva", "Hiányzó médiafájl"),
    "id": ("Media tidak disertakan",),
    "it": ("Media omessi", "Media omesso"),
    "ja": ("メディアなし", "メディアは含まれていません"),
    "kk": ("файлдар қосылмаған", "Файл қосылған жоқ"),
    "kn": ("ಮಾಧ್ಯಮ ಕೈಬಿಡಲಾಗಿದೆ",),
    "ko": ("미디어 파일 제외됨", "미디어 파일을 생략한 대화내용"),
    "lt": ("medija praleista", "Praleistas medijos turinys"),
    "lv": ("nav iekļauta multivide", "Bez multivides"),
    "mk": ("без фајлови", "Без фајл"),
    "ml": ("മീഡിയ ഒഴിവാക്കി",),
    "mr": ("मीडिया वगळण्यात आला", "मीडिया वगळले"),
    "ms": ("media dikecualikan", "Media disingkirkan"),
    "nb": ("media utelatt", "Uten vedlegg"),
    "nl": ("Media weggelaten",),
    "pa": ("ਮੀਡੀਆ ਛੱਡਿਆ", "ਮੀਡੀਆ ਛਡਿਆ ਗਿਆ"),
    "pl": ("pominięto multimedia", "pliki pominięto"),
    "pt": ("Mídia oculta", "ficheiro não revelado", "Mídia omitida"),
    "ro": ("conținut media omis",),
    "ru": ("Без медиафайлов", "Файл пропущен"),
    "sk": ("Médiá vynechané",),
    "sl": ("datoteke izpuščene", "Medij izpuščen"),
    "sq": ("media u hoq", "Media hequr"),
    "sr": ("медији су изостављени",),
    "sv": ("media utelämnat", "Media har utelämnats"),
    "sw": ("media hazijajumuishwa", "Media imerukwa"),
    "ta": ("கோப்புகள் விடப்பட்டன", "ஊடகங்கள் நீக்கப்பட்டது"),
    "te": ("మీడియా విస్మరించబడింది", "మాధ్యమం విస్మరించబడింది"),
    "th": ("ไฟล์สื่อถูกลบ", "สื่อถูกลบ"),
    "tl": ("Walang kalakip na media",),
    "tr": ("Medya dahil edilmedi", "Medya atlanmış"),
    "uk": ("медіа пропущено",),
    "ur": ("میڈیا چھوڑ دیا گیا", "میڈیا ہٹا دیا گیا"),
    "uz": ("fayl o‘tkazib yuborildi", "fayl o'tkazib yuborildi"),
    "vi": ("bỏ qua tệp phương tiện", "Bỏ qua Media"),
    "zh": ("忽略多媒體檔", "省略多媒体文件"),
}

#: iOS writes one line per attachment type (with or without < >, or ‹ › in some locales).
IOS_MEDIA: dict[str, tuple[str, ...]] = {
    "en": ("image omitted", "video omitted", "audio omitted", "sticker omitted",
           "GIF omitted", "Contact card omitted"),
    "es": ("imagen omitida", "video omitido", "audio omitido", "sticker omitido",
           "pegatina omitida", "GIF omitido", "GIF omitida", "Tarjeta de contacto omitida"),
    "de": ("Bild weggelassen", "Video weggelassen", "Audio weggelassen", "Sticker weggelassen",
           "GIF ausgeschlossen", "Kontaktkarte weggelassen"),
    "it": ("immagine omessa", "video omesso", "audio omesso", "adesivo omesso", "GIF omessa",
           "sticker non incluso", "GIF esclusa", "biglietto da visita omesso"),
    "fr": ("image omise", "vidéo omise", "audio omis", "autocollant omis", "GIF omis",
           "GIF omise", "Carte de contact omise"),
    "pt": ("imagem ocultada", "imagem oculta", "vídeo omitido", "áudio ocultado", "áudio oculto",
           "figurinha omitida", "GIF omitido", "Cartão do contato omitido"),
}  # fmt: skip

#: iOS documents: the file name (and page count) comes first, the marker last.
IOS_DOCUMENT: tuple[str, ...] = (
    "document omitted", "documento omitido", "documento omesso", "Dokument weggelassen",
    "document omis",
)  # fmt: skip

#: "View once" media and video notes are never exported.
VIEW_ONCE: tuple[str, ...] = (
    "View once voice message omitted", "View once message omitted", "View once photo omitted",
    "Video note omitted", "file not revealed", "archivo no revelado", "arquivo não revelado",
)  # fmt: skip

#: A deleted message leaves one of these in place of its text.
DELETED: dict[str, tuple[str, ...]] = {
    "en": ("This message was deleted", "You deleted this message"),
    "es": ("Se eliminó este mensaje", "Este mensaje fue eliminado", "Eliminaste este mensaje"),
    "de": ("Diese Nachricht wurde gelöscht", "Du hast diese Nachricht gelöscht"),
    "fr": ("Ce message a été supprimé", "Vous avez supprimé ce message"),
    "it": ("Questo messaggio è stato eliminato", "Hai eliminato questo messaggio"),
    "pt": ("Esta mensagem foi apagada", "Você apagou esta mensagem", "Mensagem apagada",
           "Esta mensagem foi eliminada", "Eliminou esta mensagem"),
    "ru": ("Это сообщение удалено", "Вы удалили это сообщение"),
    "he": ("הודעה זו נמחקה", "מחקת הודעה זו"),
    "nl": ("Dit bericht is verwijderd", "U hebt dit bericht verwijderd"),
    "pl": ("Ta wiadomość została usunięta", "Twoja wiadomość została usunięta"),
    "id": ("Pesan ini telah dihapus", "Pesan ini dihapus"),
    "tr": ("Bu mesaj silindi",),
    "ar": ("تم حذف هذه الرسالة",),
}  # fmt: skip

#: Call events appear as messages of the caller; they are not text.
MISSED_CALLS: tuple[str, ...] = (
    "Missed voice call", "Missed video call", "Missed group voice call",
    "Missed group video call", "Silenced voice call", "Silenced video call",
    "Nieodebrane połączenie głosowe", "Nieodebrane połączenie wideo",
    "Пропущенный аудиозвонок", "Пропущенный видеозвонок",
    "chiamata vocale persa", "videochiamata persa",
)  # fmt: skip


def alternation(strings: dict[str, tuple[str, ...]] | tuple[str, ...]) -> str:
    """A regex alternation of ``strings`` (a tuple or a dict of tuples), longest first.

    Spaces match any run of spaces, NBSPs or none inside brackets (some locales write
    ``< Média vynechána >``).
    """
    if isinstance(strings, dict):
        flat = [s for values in strings.values() for s in values]
    else:
        flat = list(strings)
    unique = sorted(set(flat), key=lambda s: (-len(s), s))
    return "|".join(re.escape(s).replace("\\ ", " ").replace(" ", "[ \u00a0]+") for s in unique)


def _merged(
    *tables: dict[str, tuple[str, ...]] | tuple[str, ...],
) -> dict[str, tuple[str, ...]]:
    """One table from several; a plain tuple counts as one unnamed language ``_<n>``."""
    merged: dict[str, tuple[str, ...]] = {}
    for number, table in enumerate(tables):
        items = list(table.items()) if isinstance(table, dict) else [(f"_{number}", table)]
        for language, strings in items:
            merged[language] = tuple(dict.fromkeys([*merged.get(language, ()), *strings]))
    return merged


#: Every language's strings, from WhatsApp's resources and the hand-kept lists above.
ANDROID_MEDIA = _merged(ANDROID_MEDIA, android_strings("media"))
DELETED = _merged(DELETED, android_strings("deleted"))
MISSED_CALLS_BY_LANGUAGE = _merged(MISSED_CALLS, android_strings("missed_call"))
#: ``IMG-1.jpg (file attached)``: the part in brackets.
FILE_ATTACHED = _merged(
    ("file attached", "archivo adjunto", "Datei angehängt", "fichier joint", "arquivo anexado",
     "file allegato", "bestand bijgevoegd", "file terlampir"),
    android_strings("file_attached"),
)  # fmt: skip
#: ``location: https://maps.google.com/?q=...``: the words before the link.
LOCATION_PREFIXES = _merged(android_strings("location"))
LIVE_LOCATION = _merged(("live location shared",), android_strings("live_location"))
