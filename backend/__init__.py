"""The Creditdesk backend: a Chalice app (app.py, chalicelib/) and the operator tools (ops/)."""
