"""Test support shared across the suites: the real backend app in process (``backend``), the
transports that put faults and records in front of it (``transports``), and the app's WSGI
face (``wsgi``). Test code only: nothing under ``creditdesk/`` imports it."""
