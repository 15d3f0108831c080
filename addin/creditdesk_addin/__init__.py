"""The Creditdesk Excel add-in: xlwings scripts and functions for desktop Excel and xlwings Lite."""
