"""The coach's features. Each registers what it owns with the coach (``register``); the set
of features is chosen in ``bot/app.py``."""
