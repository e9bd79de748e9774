"""What every feature leans on: errors, text, names, the audit trail, permissions, spreadsheets (the clock is coordination/clock.py, below even the models)."""
