"""``manage.py seed_demo``: two clinics with weeks of realistic history. ``seed`` runs the steps in order."""
