"""The Flask extensions, created once here and bound to each app in `app.create_app` (microblog's
habit): a module that needs one imports it (`from coordination.web.extensions import csrf`) instead
of looking it up in `app.extensions`.

flask-login's manager lives with its loaders in coordination/web/login.py. Flask-Talisman is not
here: version 1.1 keeps its options (the CSP, HSTS) on the instance rather than per app, so one
shared object would give every app the last one's headers; coordination/web/security.py makes one
per app."""
from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
compress = Compress()  # gzip/brotli/zstd for pages and JSON; the national map is ~0.6 MB of GeoJSON before
migrate = Migrate()
babel = Babel()
