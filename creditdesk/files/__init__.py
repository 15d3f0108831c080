"""Workbook files: reading the contract tables, writing the contract and results workbooks."""
