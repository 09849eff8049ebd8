"""Local mode: the service's Lambda handlers on one machine, with moto standing in for AWS.

`python -m local` starts it; docs/local-mode.md describes what it emulates and how.
Everything here adapts events and resources to the handlers; no business rule lives in this package.
"""
