"""Writing workbook files: the entry points.

- ``write_workbook``, ``write_template``, ``template_tables``: contract workbooks, the
  tables Creditdesk reads (``creditdesk.files.xlsx_contract``);
- ``write_results``: the results workbook (``creditdesk.files.xlsx_results``), whose sheets
  are defined in ``creditdesk.analysis.tables``;
- ``table_name``, ``sheet_name``: Excel's rules for the names of tables and sheets.

Both kinds of workbook go through ``creditdesk.files.xlsx_book`` (a file written safely, its
formats, cells and Excel tables), and their table bodies through the fast path of
``creditdesk.files.xlsx_bulk`` where the installed XlsxWriter allows it.
"""

from creditdesk.files.xlsx_book import sheet_name, table_name
from creditdesk.files.xlsx_contract import template_tables, write_template, write_workbook
from creditdesk.files.xlsx_results import write_results

__all__ = ["sheet_name", "table_name", "template_tables", "write_results", "write_template",
           "write_workbook"]
