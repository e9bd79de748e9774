"""Monthly reports and the national coverage figures."""
