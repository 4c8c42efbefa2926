"""Lines the test run adds to its terminal summary (printed by conftest.py)."""

REPORT: list[str] = []
