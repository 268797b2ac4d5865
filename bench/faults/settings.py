"""Settings of the failure drill: the project's own, with emails written to files, one per message, so that the
drill can count the emails each notice produced (docs/operations.md "Failure drills")."""

import os

from madoguchi.settings import *  # noqa: F403 - the drill runs the project as shipped, plus this

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["MADOGUCHI_DRILL_EMAIL_DIR"]
