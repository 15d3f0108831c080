"""The ``creditdesk`` command."""
