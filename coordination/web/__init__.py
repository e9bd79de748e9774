"""The web layer: pages per feature, the JSON API (api/), and the Flask wiring (extensions, login,
i18n, security headers, blueprints, error pages). Views validate, call one rule, and render or redirect."""
