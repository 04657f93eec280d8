from django.core.management.base import BaseCommand, CommandError

from core import checkpoints
from core.audit import verify_chain
from core.models import get_tenant_model


class Command(BaseCommand):
    help = (
        "Verify each program's audit-log hash chain (first broken link) and check it "
        "against the signed checkpoints written outside the database (a deleted tail, a "
        "TRUNCATE, a forged checkpoint)."
    )

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
            program_id = program.pk if program else None
            problems = []
            result = verify_chain(program_id)
            if result is not None:
                event, reason = result
                problems.append(f"broken at event seq={event.seq} id={event.pk}: {reason}")
            problems += checkpoints.verify(program_id)
            if not problems:
                anchor = checkpoints.latest(program_id)
                suffix = (
                    f" (checkpoint seq={anchor['seq']} of {anchor['at']} holds)" if anchor else ""
                )
                self.stdout.write(f"{label}: chain intact{suffix}")
                continue
            broken += 1
            for problem in problems:
                self.stdout.write(self.style.ERROR(f"{label}: {problem}"))
        if broken:
            raise CommandError(f"{broken} chain(s) broken")
