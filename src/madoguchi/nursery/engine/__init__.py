"""Nursery admission allocation (保育所等利用調整) as a pure engine: no Django, data in, data out.

Entry points: `allocate.allocate_seats` (run a round), `verify.verify_result` (independent checker),
`cli.main` (the `madoguchi nursery` command). See docs/nursery.md.
"""

ENGINE_VERSION = "1.0.0"
