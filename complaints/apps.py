from django.apps import AppConfig

# Haitian Creole: Django ships no catalog for it, and only recent releases list it in
# LANG_INFO. The language switcher and get_language_info() need the entry, so it is
# registered here when missing (a no-op where Django already has it). Our own catalog
# (locale/ht) carries the complaint pages, including the form error messages.
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

        # Identity custody (a custodian's approval before a non-admin sees who filed a
        # complaint), for the kernel's authorization table: can() answers it.
        from core import authz

        from .custody import custodian_gate, custody_gate

        authz.register_hook(authz.IDENTITY_CUSTODY, custody_gate)
        authz.register_hook(authz.IDENTITY_CUSTODIAN, custodian_gate)
