"""Models: the shared contract (base.py), safe loading, and what can be trained here."""
