def samples(world):
    return {
        "programs:supplier_detail": {"pk": world.supplier.pk},
        "programs:supplier_edit": {"pk": world.supplier.pk},
        "programs-api:supplier-detail": {"pk": world.supplier.pk},
        "programs-api:facility-detail": {"pk": world.facility.pk},
    }
