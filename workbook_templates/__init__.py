"""The workbook contract as workbooks, and their generators, run from a checkout:
``python -m workbook_templates.generate`` and ``python -m workbook_templates.generate_desktop``."""
