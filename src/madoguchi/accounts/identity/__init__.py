"""Identity providers: plugins that prove who a resident is, so their account can be linked to the registry.

Shaped like Open Forms' plugin registries: `base.py` (the abstract provider), `registry.py` (where plugins
register), `contrib/<plugin>.py` (the plugins; imported by AccountsConfig.ready). See docs/identity.md.
"""
