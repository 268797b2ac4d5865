"""Pure FAQ retrieval engine (no Django): normalisation, BM25 search and abstention.

Used from Django through `madoguchi.faq.services`; see docs/faq-engine.md.
"""

from .abstention import AbstentionRule, Decision, Features, LogisticAbstention
from .entries import FaqEntry, FaqImportError, FaqImportProblem, load_faq_csv
from .index import Answer, FaqIndex, Hit
from .lexicon import Glossary, SynonymTable
from .normalise import (
    MAX_QUESTION_CHARS,
    MY_NUMBER_MASK,
    detect_language,
    is_valid_my_number,
    mask_my_number,
    normalise_question,
)

__all__ = [
    "MAX_QUESTION_CHARS",
    "MY_NUMBER_MASK",
    "AbstentionRule",
    "Answer",
    "Decision",
    "FaqEntry",
    "FaqImportError",
    "FaqImportProblem",
    "FaqIndex",
    "Features",
    "Glossary",
    "Hit",
    "LogisticAbstention",
    "SynonymTable",
    "detect_language",
    "is_valid_my_number",
    "load_faq_csv",
    "mask_my_number",
    "normalise_question",
]
