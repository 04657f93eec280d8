"""Seed a generated data set at scale for the benchmark suite.

    DJANGO_SETTINGS_MODULE=config.settings.production ... python bench/seed_scale.py --scale large

Scales: "large" is the issue's target (1 program with 20,000 facilities, 500 buyers,
100,000 complaints with history, 20,000 audits with findings and CAPs, and 50 smaller
programs); "small" is a quick smoke run. Seeding uses bulk operations and bypasses the
services on purpose: it builds a data set, not a history of user actions (the audit log
gets one event per program so the public pages' data version exists).

Each app contributes its rows through ``bench/seeders/<app>.py`` with
``seed(*, program, scale, rng)``; they run after the programs layer.
"""

import argparse
import importlib
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

import django  # noqa: E402

django.setup()

from bench.seeders import programs as programs_seeder  # noqa: E402

SCALES = {
    "small": {
        "facilities": 2000,
        "buyers": 50,
        "complaints": 5000,
        "audits": 1000,
        "small_programs": 5,
        "small_facilities": 40,
    },
    "large": {
        "facilities": 20000,
        "buyers": 500,
        "complaints": 100000,
        "audits": 20000,
        "small_programs": 50,
        "small_facilities": 100,
    },
}
APP_SEEDERS = ["complaints", "audits", "enforcement"]
MAIN_SLUG = "bench-main"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="large")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    scale = SCALES[args.scale]
    rng = random.Random(args.seed)

    from programs.models import Program

    if Program.objects.filter(slug=MAIN_SLUG).exists():
        print(f"{MAIN_SLUG} already seeded; drop the database to reseed")
        return
    started = time.monotonic()
    main_program = programs_seeder.seed_program(
        slug=MAIN_SLUG,
        name="Bench Main Program",
        facilities=scale["facilities"],
        buyers=scale["buyers"],
        rng=rng,
    )
    print(f"programs: main program in {time.monotonic() - started:.1f}s")
    for i in range(scale["small_programs"]):
        programs_seeder.seed_program(
            slug=f"bench-small-{i:02d}",
            name=f"Bench Small Program {i:02d}",
            facilities=scale["small_facilities"],
            buyers=10,
            rng=rng,
        )
    print(
        f"programs: {scale['small_programs']} small programs, "
        f"{time.monotonic() - started:.1f}s total"
    )
    for label in APP_SEEDERS:
        try:
            module = importlib.import_module(f"bench.seeders.{label}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.seeders.{label}":
                raise
            print(f"{label}: no seeder yet, skipped")
            continue
        t0 = time.monotonic()
        module.seed(program=main_program, scale=scale, rng=rng)
        print(f"{label}: {time.monotonic() - t0:.1f}s")
    from django.db import connection

    with connection.cursor() as cursor:
        # VACUUM too: a live database is autovacuumed, and without the visibility map
        # PostgreSQL cannot answer a paginator's COUNT(*) from the index alone.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
