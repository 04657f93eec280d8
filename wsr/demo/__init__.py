"""Demo data for ``manage.py seed_demo``: two fictional programs modelled on real ones."""
