"""Thi đua (emulation movements): targets, the leaderboard, commendations."""
