"""Development aids: the demo data and the local stand-in for Twilio (tests, `make run`, benchmarks)."""
