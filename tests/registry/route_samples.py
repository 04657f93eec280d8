"""Sample arguments for the registry's routes: an import batch of program A."""

from registry import services

from .conftest import HEADER, csv_bytes


def samples(world):
    batch = services.import_upload(
        actor=world.user("staff"),
        program=world.program,
        filename="list.csv",
        data=csv_bytes([HEADER, ["S", "F", "1 Rd", "BD", "", "", "", "", "", ""]]),
    )
    batch = services.import_analyse(batch_id=batch.pk)
    kw = {"pk": batch.pk}
    return {
        name: kw
        for name in (
            "registry:import_detail",
            "registry:import_mapping",
            "registry:match_decide",
            "registry:import_apply",
            "registry-api:import-detail",
            "registry-api:import-mapping",
            "registry-api:import-decide",
            "registry-api:import-apply",
        )
    }
