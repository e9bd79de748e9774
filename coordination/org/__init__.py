"""Teams, people, accounts: who belongs where, who may log in."""
