"""Sentence encoders for the dense retriever (see base.Encoder and registry)."""

from .base import Encoder, l2_normalise
from .registry import DEFAULT, NONE, UnknownEncoder, get, names, register, resolve

__all__ = [
    "DEFAULT",
    "NONE",
    "Encoder",
    "UnknownEncoder",
    "get",
    "l2_normalise",
    "names",
    "register",
    "resolve",
]
