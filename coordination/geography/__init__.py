"""Provinces and communes (after the 2025 merger) and their old names."""
