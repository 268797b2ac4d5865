"""Nursery admission allocation engine (pure: imports nothing from Django)."""
