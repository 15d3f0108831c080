"""Operator and local tools for the backend: the local stack (moto + the Chalice app + what
Lambda would run around it), tenant administration and packaging. Not deployed: Chalice
packages only ``app.py``, ``chalicelib/`` and ``vendor/``."""
