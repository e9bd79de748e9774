"""Importing members from a spreadsheet."""
