from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Supplier and facility registry: bulk import and Open Supply Hub"
