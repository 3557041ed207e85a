"""Differential test: jaxon.load against jaxon-validate on generated and mutated files
(docs/differential.md)."""
