"""Tasks: the rules, the board, assignment to many communes at once."""
