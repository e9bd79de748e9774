"""Business rules of the coordination platform, as plain functions."""
