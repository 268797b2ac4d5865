"""Hand-off formats shipped with Madoguchi. Importing this package registers them, in this order (the order
the command and the office page list them): `juki_ido` (住民異動届), then `case_csv` (any one procedure)."""

# isort: off
from . import juki_ido, case_csv  # noqa: F401

# isort: on
