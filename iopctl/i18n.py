"""Dates, times and a few fixed words in English and Spanish, independent of the OS locale.

Handouts are printed in the participant's language. The names are written
out here rather than taken from `locale` so the same records give the same
bytes on every machine (a server's locale is usually C or en_US).
"""
from __future__ import annotations

import datetime as dt
import re

DEFAULT = "en"
LANGUAGES = ("en", "es")  # languages this module can write dates in

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
}
WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}

# Names of the languages a community resource offers, written in the handout's language.
LANGUAGE_NAMES = {
    "en": {"en": "English", "es": "Spanish", "fr": "French", "pt": "Portuguese", "zh": "Chinese",
           "vi": "Vietnamese", "ar": "Arabic", "ru": "Russian", "ko": "Korean", "tl": "Tagalog",
           "pl": "Polish", "asl": "American Sign Language", "ht": "Haitian Creole", "de": "German"},
    "es": {"en": "inglés", "es": "español", "fr": "francés", "pt": "portugués", "zh": "chino",
           "vi": "vietnamita", "ar": "árabe", "ru": "ruso", "ko": "coreano", "tl": "tagalo",
           "pl": "polaco", "asl": "lengua de señas americana", "ht": "criollo haitiano", "de": "alemán"},
}

# What a program.yaml resource `kind` is, in plain words.
RESOURCE_KINDS = {
    "en": {"support-group": "Support group", "family-support": "Support for family", "housing": "Housing",
           "vocational": "Help with work", "legal": "Legal help", "healthcare": "Health care",
           "crisis": "Crisis help", "other": "Other help"},
    "es": {"support-group": "Grupo de apoyo", "family-support": "Apoyo para la familia", "housing": "Vivienda",
           "vocational": "Ayuda con el trabajo", "legal": "Ayuda legal", "healthcare": "Atención médica",
           "crisis": "Ayuda en crisis", "other": "Otra ayuda"},
}

# ASAM levels of care, in plain words (the number means little to a participant).
LEVELS_OF_CARE = {
    "en": {"0.5": "early help", "1": "outpatient care", "2.1": "intensive outpatient care",
           "2.5": "day treatment (partial hospital)", "3": "residential care", "4": "hospital care"},
    "es": {"0.5": "ayuda temprana", "1": "atención ambulatoria", "2.1": "atención ambulatoria intensiva",
           "2.5": "tratamiento de día (hospitalización parcial)", "3": "atención residencial",
           "4": "atención en el hospital"},
}

_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def base_language(tag: str | None) -> str | None:
    """The primary subtag of a BCP 47 tag, lower case: `es-MX` -> `es`; None when it is not a tag."""
    if not tag or not _TAG.match(tag.strip()):
        return None
    return re.split(r"[-_]", tag.strip())[0].lower()


def _lang(lang: str) -> str:
    return lang if lang in LANGUAGES else DEFAULT


def weekday_name(day: dt.date, lang: str) -> str:
    return WEEKDAYS[_lang(lang)][day.weekday()]


def month_name(day: dt.date, lang: str) -> str:
    return MONTHS[_lang(lang)][day.month - 1]


def long_date(day: dt.date, lang: str) -> str:
    """`Tuesday, November 10, 2026` / `martes 10 de noviembre de 2026`."""
    if _lang(lang) == "es":
        return f"{weekday_name(day, 'es')} {day.day} de {month_name(day, 'es')} de {day.year}"
    return f"{weekday_name(day, 'en')}, {month_name(day, 'en')} {day.day}, {day.year}"


def short_date(day: dt.date, lang: str) -> str:
    """Without the year: `Tuesday, November 10` / `martes 10 de noviembre`."""
    if _lang(lang) == "es":
        return f"{weekday_name(day, 'es')} {day.day} de {month_name(day, 'es')}"
    return f"{weekday_name(day, 'en')}, {month_name(day, 'en')} {day.day}"


def clock(time: dt.time, lang: str) -> str:
    """12-hour clock, as US readers of both languages expect: `5:30 PM` / `5:30 p. m.`."""
    hour = time.hour % 12 or 12
    if _lang(lang) == "es":
        suffix = "a. m." if time.hour < 12 else "p. m."
    else:
        suffix = "AM" if time.hour < 12 else "PM"
    return f"{hour}:{time.minute:02d} {suffix}"


def language_name(code: str, lang: str) -> str:
    """A language code in words (`es` -> `Spanish` / `español`); unknown codes are kept as given."""
    return LANGUAGE_NAMES[_lang(lang)].get(base_language(code) or code, code)


def resource_kind(kind: str, lang: str) -> str:
    return RESOURCE_KINDS[_lang(lang)].get(kind, kind)


def level_of_care(level: str | None, lang: str) -> str | None:
    if level is None:
        return None
    return LEVELS_OF_CARE[_lang(lang)].get(str(level))


def upfirst(text: str) -> str:
    """Capitalise the first letter only (Jinja's `capitalize` lowers the rest)."""
    return text[:1].upper() + text[1:]


__all__ = ["LANGUAGES", "base_language", "weekday_name", "month_name", "long_date", "short_date", "clock",
           "language_name", "resource_kind", "level_of_care", "upfirst"]
