"""The outbox and its SMS gateway: every message to a person goes through here."""
