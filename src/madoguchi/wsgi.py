import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "madoguchi.settings")
application = get_wsgi_application()

# A production server with public keys or a per-worker cache does not start (core.checks).
from madoguchi.core.checks import refuse_unsafe_production  # noqa: E402

refuse_unsafe_production()
