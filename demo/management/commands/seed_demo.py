from django.core.management.base import BaseCommand

from demo.data import DEMO_PASSWORD
from demo.seed import logins, seed_all


class Command(BaseCommand):
    help = (
        "Load the demo: two fictional programs (farm labor, garment safety), their codes, "
        "buyers, suppliers, agreements, a persona per role, and each app's demo history. "
        "Idempotent: running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--logins", action="store_true", help="only print the demo logins, seed nothing"
        )
        parser.add_argument(
            "--strict", action="store_true", help="fail if an app's demo.seed() fails"
        )

    def handle(self, *args, **options):
        if not options["logins"]:
            from core.scoping import system_scope

            with system_scope("seeds every demo program"):
                result = seed_all(stdout=self.stdout, strict=options["strict"])
            self.stdout.write(self.style.SUCCESS(f"Demo data ready: {', '.join(result)}."))
        self.print_logins()

    def print_logins(self):
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for program, role, email in logins():
            self.stdout.write(f"  {email:<42} {role:<26} {program}")
