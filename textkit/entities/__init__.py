"""Entities: the details of a message ("a table for **4** at **7pm** in **Boston**").

Annotated training data (``annotations``), extractors behind one interface (a trained
linear-chain CRF, regexes, lookup tables, synonyms) and their evaluation."""

from textkit.entities.annotations import AnnotationError, Entity, annotate, parse_annotated

__all__ = ["AnnotationError", "Entity", "annotate", "parse_annotated"]
