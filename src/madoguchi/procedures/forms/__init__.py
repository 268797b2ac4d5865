"""Official forms as PDF: the layout of each procedure's printed form (`layout`) and its rendering (`render`).

Pure: nothing from Django (an import-linter contract keeps it so). docs/forms.md describes both.
"""
