"""One exception tree for everything Creditdesk refuses to do, with a message for the user."""


class CreditdeskError(Exception):
    """Base of every error Creditdesk raises on purpose; its message is for the user."""


class WorkbookError(CreditdeskError):
    """The workbook cannot be used at all: unreadable file, missing table or column."""
