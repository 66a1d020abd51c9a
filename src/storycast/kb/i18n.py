"""The knowledge base's own interface strings (navigation, labels), per language.

Content (titles, steps, category names) comes from the stories and ``templates/strings.yaml``;
these are only the words around it. A language without an entry falls back to English.
"""

from __future__ import annotations

FALLBACK = "en"

UI: dict[str, dict[str, str]] = {
    "en": {
        "help_centre": "Help centre",
        "skip": "Skip to content",
        "home": "Home",
        "search": "Search",
        "search_label": "Search the help centre",
        "search_placeholder": "Search tutorials",
        "search_button": "Search",
        "search_needs_js": "Search needs JavaScript. Browse the categories below instead.",
        "results_for": "Results for “{q}”",
        "no_results": "No tutorial matches “{q}”. Try a shorter or different word.",
        "categories": "Categories",
        "all_tutorials": "All tutorials",
        "tutorials_count": "{n} tutorials",
        "tutorial_count_one": "1 tutorial",
        "steps_count": "{n} steps",
        "step_n": "Step {n}",
        "last_updated": "Last updated",
        "languages": "Languages",
        "language": "Language",
        "also_in": "Also available in",
        "breadcrumb": "Breadcrumb",
        "lead": "Short, visual guides for the questions we hear most. Pick a topic or search.",
        "still_stuck": "Still stuck?",
        "contact": "Reply to any of our stories or contact support, and a person will help you.",
        "choose_language": "Choose your language",
    },
    "es": {
        "help_centre": "Centro de ayuda",
        "skip": "Saltar al contenido",
        "home": "Inicio",
        "search": "Buscar",
        "search_label": "Buscar en el centro de ayuda",
        "search_placeholder": "Buscar tutoriales",
        "search_button": "Buscar",
        "search_needs_js": "La búsqueda necesita JavaScript. Explora las categorías de abajo.",
        "results_for": "Resultados para «{q}»",
        "no_results": "Ningún tutorial coincide con «{q}». Prueba con otra palabra o una más corta.",
        "categories": "Categorías",
        "all_tutorials": "Todos los tutoriales",
        "tutorials_count": "{n} tutoriales",
        "tutorial_count_one": "1 tutorial",
        "steps_count": "{n} pasos",
        "step_n": "Paso {n}",
        "last_updated": "Última actualización",
        "languages": "Idiomas",
        "language": "Idioma",
        "also_in": "También disponible en",
        "breadcrumb": "Ruta de navegación",
        "lead": "Guías breves y visuales para las preguntas más frecuentes. Elige un tema o busca.",
        "still_stuck": "¿Sigue sin funcionar?",
        "contact": (
            "Responde a cualquiera de nuestras historias o contacta con soporte y una persona te ayudará."
        ),
        "choose_language": "Elige tu idioma",
    },
    "th": {
        "help_centre": "ศูนย์ช่วยเหลือ",
        "skip": "ข้ามไปยังเนื้อหา",
        "home": "หน้าแรก",
        "search": "ค้นหา",
        "search_label": "ค้นหาในศูนย์ช่วยเหลือ",
        "search_placeholder": "ค้นหาคู่มือ",
        "search_button": "ค้นหา",
        "search_needs_js": "การค้นหาต้องใช้ JavaScript โปรดเลือกดูจากหมวดหมู่ด้านล่างแทน",
        "results_for": "ผลการค้นหา “{q}”",
        "no_results": "ไม่พบคู่มือที่ตรงกับ “{q}” ลองใช้คำที่สั้นลงหรือคำอื่น",
        "categories": "หมวดหมู่",
        "all_tutorials": "คู่มือทั้งหมด",
        "tutorials_count": "{n} คู่มือ",
        "tutorial_count_one": "1 คู่มือ",
        "steps_count": "{n} ขั้นตอน",
        "step_n": "ขั้นตอนที่ {n}",
        "last_updated": "อัปเดตล่าสุด",
        "languages": "ภาษา",
        "language": "ภาษา",
        "also_in": "อ่านเป็นภาษาอื่น",
        "breadcrumb": "เส้นทางนำทาง",
        "lead": "คู่มือสั้น ๆ พร้อมภาพ สำหรับคำถามที่พบบ่อย เลือกหัวข้อหรือค้นหาได้เลย",
        "still_stuck": "ยังไม่หาย?",
        "contact": "ตอบกลับสตอรี่ของเราหรือติดต่อฝ่ายบริการลูกค้า แล้วเจ้าหน้าที่จะช่วยคุณ",
        "choose_language": "เลือกภาษา",
    },
    "hi": {
        "help_centre": "सहायता केंद्र",
        "skip": "मुख्य सामग्री पर जाएँ",
        "home": "होम",
        "search": "खोजें",
        "search_label": "सहायता केंद्र में खोजें",
        "search_placeholder": "गाइड खोजें",
        "search_button": "खोजें",
        "search_needs_js": "खोज के लिए JavaScript चाहिए। नीचे दी गई श्रेणियाँ देखें।",
        "results_for": "“{q}” के नतीजे",
        "no_results": "“{q}” से कोई गाइड नहीं मिली। कोई छोटा या दूसरा शब्द आज़माएँ।",
        "categories": "श्रेणियाँ",
        "all_tutorials": "सभी गाइड",
        "tutorials_count": "{n} गाइड",
        "tutorial_count_one": "1 गाइड",
        "steps_count": "{n} चरण",
        "step_n": "चरण {n}",
        "last_updated": "पिछला अपडेट",
        "languages": "भाषाएँ",
        "language": "भाषा",
        "also_in": "इन भाषाओं में भी",
        "breadcrumb": "नेविगेशन पथ",
        "lead": "अक्सर पूछे जाने वाले सवालों के लिए छोटी, चित्रों वाली गाइड। कोई विषय चुनें या खोजें।",
        "still_stuck": "अब भी दिक्कत है?",
        "contact": "हमारी किसी भी स्टोरी का जवाब दें या सपोर्ट से संपर्क करें, हमारी टीम आपकी मदद करेगी।",
        "choose_language": "अपनी भाषा चुनें",
    },
    "sr": {
        "help_centre": "Центар за помоћ",
        "skip": "Пређи на садржај",
        "home": "Почетна",
        "search": "Претрага",
        "search_label": "Претражите центар за помоћ",
        "search_placeholder": "Претражите упутства",
        "search_button": "Тражи",
        "search_needs_js": "Претрага захтева JavaScript. Прегледајте категорије испод.",
        "results_for": "Резултати за „{q}”",
        "no_results": "Ниједно упутство не одговара упиту „{q}”. Пробајте краћу или другу реч.",
        "categories": "Категорије",
        "all_tutorials": "Сва упутства",
        "tutorials_count": "Упутстава: {n}",
        "tutorial_count_one": "1 упутство",
        "steps_count": "Корака: {n}",
        "step_n": "Корак {n}",
        "last_updated": "Последња измена",
        "languages": "Језици",
        "language": "Језик",
        "also_in": "Доступно и на",
        "breadcrumb": "Путања",
        "lead": "Кратка упутства са сликама за најчешћа питања. Изаберите тему или претражите.",
        "still_stuck": "И даље не ради?",
        "contact": "Одговорите на било коју нашу причу или контактирајте подршку и неко ће вам помоћи.",
        "choose_language": "Изаберите језик",
    },
}

# Each language's own name, for the language switcher (a reader looks for their language in it).
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "th": "ไทย",
    "hi": "हिन्दी",
    "sr": "Српски",
    "ar": "العربية",
    "fr": "Français",
    "de": "Deutsch",
    "pt": "Português",
    "it": "Italiano",
    "id": "Bahasa Indonesia",
    "vi": "Tiếng Việt",
    "ja": "日本語",
    "zh": "中文",
    "ru": "Русский",
    "uk": "Українська",
    "tr": "Türkçe",
    "pl": "Polski",
    "nl": "Nederlands",
}

RTL = {"ar", "he", "fa", "ur"}


def ui(lang: str, key: str, **values: object) -> str:
    """The interface string ``key`` in ``lang`` (English when missing), with ``{name}`` filled in."""
    base = lang.split("-")[0]
    table = UI.get(lang) or UI.get(base) or UI[FALLBACK]
    raw = table.get(key) or UI[FALLBACK][key]
    return raw.format(**values) if values else raw


def native_name(lang: str) -> str:
    """A language's name in that language (the code itself when unknown)."""
    return NATIVE_NAMES.get(lang) or NATIVE_NAMES.get(lang.split("-")[0]) or lang


def direction(lang: str) -> str:
    """``rtl`` for right-to-left scripts, else ``ltr``."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"
