"""Running it in production: backups that restore, readiness for load balancers."""
