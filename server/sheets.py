"""Files people open in a spreadsheet: XLSX (openpyxl) and CSV, with times in local time.

Dutch Excel reads a CSV right only with a byte-order mark and, in most installations, ``;`` as
the separator; both are options here. Every cell that a spreadsheet would take for a formula
(``= + - @``, tab, CR at the start) gets a leading ``'`` (R25), in CSV and XLSX alike.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_SHEET_NAME = 31


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(ts: float, tz: str) -> str:
    """An epoch time as people read it where the day happens: ``2026-12-03 14:05``."""
    if not ts:
        return ""
    return datetime.fromtimestamp(ts, zone(tz)).strftime("%Y-%m-%d %H:%M")


def safe(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_START) else text


def value_of(value: object) -> object:
    """A workbook cell: numbers stay numbers (to sort and filter on), the rest is safe text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return safe(value)


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]], semicolon: bool = False,
           bom: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if semicolon else ",", lineterminator="\r\n")
    writer.writerow([safe(h) for h in header])
    writer.writerows([safe(c) for c in row] for row in rows)
    return (BOM if bom else "") + out.getvalue()


def sheet_name(title: str, taken: set[str]) -> str:
    """A worksheet name Excel accepts (31 characters, none of ``[]:*?/\\``), unique."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in title).strip("' ") or "Blad"
    name = clean[:MAX_SHEET_NAME]
    n = 2
    while name in taken:
        suffix = f" ({n})"
        name = clean[:MAX_SHEET_NAME - len(suffix)] + suffix
        n += 1
    taken.add(name)
    return name


def to_xlsx(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[object]]]]) -> bytes:
    """A workbook: per sheet a title, a bold header row with filters on, frozen below it."""
    # Imported here: openpyxl takes a third of the server's start, and only the workers that
    # write a workbook need it.
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for title, header, rows in sheets or [("Leeg", [], [])]:
        ws = book.create_sheet(sheet_name(title, taken))
        ws.append([safe(h) for h in header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([value_of(c) for c in row])
        if header:
            last = get_column_letter(len(header))
            ws.auto_filter.ref = f"A1:{last}{max(1, len(rows) + 1)}"
            ws.freeze_panes = "A2"
            for i, h in enumerate(header, start=1):
                width = max([len(str(h))] + [len(str(r[i - 1])) for r in rows[:200]
                                             if len(r) >= i])
                ws.column_dimensions[get_column_letter(i)].width = min(60, max(10, width + 2))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
