from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain
from core.models import get_tenant_model


class Command(BaseCommand):
    help = "Verify each program's audit-log hash chain; report the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("--program", help="slug of one program (default: all + platform)")

    def handle(self, *args, **options):
        Program = get_tenant_model()
        if options["program"]:
            targets = [Program.objects.get(slug=options["program"])]
        else:
            targets = [None, *Program.objects.order_by("pk")]
        broken = 0
        for program in targets:
            label = program.slug if program else "(platform)"
            result = verify_chain(program.pk if program else None)
            if result is None:
                self.stdout.write(f"{label}: chain intact")
                continue
            event, reason = result
            broken += 1
            self.stdout.write(
                self.style.ERROR(
                    f"{label}: broken at event seq={event.seq} id={event.pk}: {reason}"
                )
            )
        if broken:
            raise CommandError(f"{broken} chain(s) broken")
