from django.apps import AppConfig

# Haitian Creole is not in Django's LANG_INFO; the language switcher and
# get_language_info() need it there.
HAITIAN_CREOLE = {
    "bidi": False,
    "code": "ht",
    "name": "Haitian Creole",
    "name_local": "Kreyòl ayisyen",
}


class ComplaintsConfig(AppConfig):
    name = "complaints"

    def ready(self):
        from django.conf.locale import LANG_INFO

        LANG_INFO.setdefault("ht", HAITIAN_CREOLE)
