"""24/7 duty: rotas, check-ins, who is on duty, alerts and their escalation, shift handoffs."""
