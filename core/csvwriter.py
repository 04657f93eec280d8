"""The platform's one CSV writer.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula: a supplier named ``=HYPERLINK(...)`` would run in the
spreadsheet of whoever opens the file. Every CSV the platform writes (open data, the
premium reconciliation, the buyer portal's lists, the program export) goes through
``writer()``, which prefixes such text cells with an apostrophe. Numbers, dates and
other non-text values are written as they are (a negative amount stays a number).
``tests/security/test_csv_injection.py`` walks every CSV and refuses a bare
``csv.writer`` anywhere else.
"""

import csv

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """``value`` with a leading apostrophe if it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class SafeWriter:
    def __init__(self, target, **kwargs):
        self._writer = csv.writer(target, **kwargs)

    def writerow(self, row):
        return self._writer.writerow([neutralise(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def writer(target, **kwargs):
    return SafeWriter(target, **kwargs)
