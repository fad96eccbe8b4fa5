"""The doors onto the coach: console.py, telegram/ and discord/ (docs/DESIGN.md, "Adapters")."""
