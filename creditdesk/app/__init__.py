"""The application layer: what the CLI, the Excel add-in and the demo do with a workbook and
the backend, written once. It sits above ``analysis``, ``files``, ``imports`` and ``api``;
nothing below imports it, and it imports no xlwings (the add-in hands it the tables it read
from Excel).

- ``creditdesk.app.reminders``: a previewed reminder as the backend takes it
  (``outgoing``: those it can send by e-mail, and those held with the reason), the key of a
  previewed reminder (``preview_key``) and batch ids (``new_batch_id``). No file library.
- ``creditdesk.app.importing``: an import (``creditdesk import`` and the Import button):
  sheets of cell values read by ``creditdesk.imports`` and merged into the workbook's
  Customers and Invoices, with its report. No file library: the callers read and write.
- ``creditdesk.app.workbook``: what a send or a sync needs from a workbook (``Workbook``):
  the snapshot of its tables, its reminders to send and those held, its issues; made from
  tables already read (the add-in), or from a file (the CLI, the demo: the file library is
  imported only then).
"""
