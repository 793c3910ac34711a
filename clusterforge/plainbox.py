"""rich's uncoloured terminal layout (word wrap, heavy-headed tables) without importing rich's
console: ``validate`` and ``catalog`` print in a fraction of the start-up rich's console needs.

Only what it renders exactly as rich does: printable ASCII text (one character, one cell; no
markup, tabs or control characters), tables with a header and at least one row, no colour.
Anything else returns ``None`` and the caller renders with rich. The layout follows rich's own
code (``Text.wrap``, ``Table._calculate_column_widths``, ``Table._render``) and reuses its two
small helpers (``divide_line``, ``ratio_reduce``); tests/test_plainbox.py compares every
example's output with rich's, byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.table import Table as RichTable

Justify = Literal["left", "right"]
Overflow = Literal["fold", "ellipsis"]

#: Text this module lays out as rich does: printable ASCII (a newline only between lines).
_PLAIN = re.compile(r"[\x20-\x7e]*")
_TRAILING_SPACE = re.compile(r"\s+$")


def plain(text: str) -> bool:
    """Whether ``text`` is one line of printable ASCII (each character one terminal cell)."""
    return _PLAIN.fullmatch(text) is not None


def wrap(
    text: str, width: int, justify: Justify | None = None, overflow: Overflow = "fold"
) -> list[str]:
    """``text`` word-wrapped to ``width`` as rich's ``Text.wrap`` does: a word longer than the
    width folds onto the next lines, or with ``overflow="ellipsis"`` (table cells) ends in "…";
    with ``justify`` each line is also padded to ``width``."""
    from rich._wrap import divide_line

    lines = []
    for line in text.split("\n"):
        offsets = [0, *divide_line(line, width, fold=overflow == "fold"), len(line)]
        for start, end in zip(offsets, offsets[1:], strict=False):
            piece = line[start:end]
            if len(piece) > width:  # rich's rstrip_end: spaces beyond the width go
                spaces = _TRAILING_SPACE.search(piece)
                if spaces is not None:
                    piece = piece[: len(piece) - min(len(spaces.group(0)), len(piece) - width)]
            if justify == "right":
                piece = _truncate(piece.rstrip(), width, overflow).rjust(width)
            elif justify == "left":
                piece = _truncate(piece, width, overflow).ljust(width)
            lines.append(_truncate(piece, width, overflow))
    return lines


def _truncate(text: str, width: int, overflow: Overflow) -> str:
    if len(text) <= width:
        return text
    return text[: width - 1] + "…" if overflow == "ellipsis" else text[:width]


@dataclass
class Column:
    header: str
    justify: Justify = "left"


@dataclass
class Table:
    """A rich ``Table`` with the defaults clusterforge uses: box HEAVY_HEAD, a header, padding of
    one space each side, the title above it justified left."""

    title: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)

    def add_row(self, *cells: str) -> None:
        self.rows.append(list(cells))

    def render(self, width: int) -> list[str] | None:
        """The table's lines on a console ``width`` wide, or None when rich must lay it out."""
        texts = [self.title, *(c.header for c in self.columns), *(c for r in self.rows for c in r)]
        if not self.rows or not all(plain(t) for t in texts):
            return None
        widths = self._widths(width - len(self.columns) - 1)
        if min(widths) < 3:  # no room inside the padding: rich's corner cases
            return None
        table_width = sum(widths) + len(self.columns) + 1
        lines = [line.ljust(table_width) for line in wrap(self.title, table_width, "left")]
        lines.append("┏" + "┳".join("━" * w for w in widths) + "┓")
        header = [_cell(c.header, w, c.justify) for c, w in zip(self.columns, widths, strict=True)]
        height = max(len(c) for c in header)  # a header cell aligns to the bottom
        header = [[" " * w] * (height - len(c)) + c for c, w in zip(header, widths, strict=True)]
        lines += ["┃" + "┃".join(line) + "┃" for line in zip(*header, strict=True)]
        lines.append("┡" + "╇".join("━" * w for w in widths) + "┩")
        for row in self.rows:
            cells = [
                _cell(text, w, c.justify)
                for text, c, w in zip(row, self.columns, widths, strict=True)
            ]
            height = max(len(c) for c in cells)  # a body cell aligns to the top
            cells = [c + [" " * w] * (height - len(c)) for c, w in zip(cells, widths, strict=True)]
            lines += ["│" + "│".join(line) + "│" for line in zip(*cells, strict=True)]
        lines.append("└" + "┴".join("─" * w for w in widths) + "┘")
        return lines

    def _widths(self, max_width: int) -> list[int]:
        """Column widths with padding, as rich's ``Table._calculate_column_widths`` (no expand,
        no fixed widths, every column wrappable)."""
        widths = [
            min(max(len(t) for t in (c.header, *(r[i] for r in self.rows))) + 2, max_width) or 1
            for i, c in enumerate(self.columns)
        ]
        if sum(widths) <= max_width:
            return widths
        from rich._ratio import ratio_reduce

        excess = sum(widths) - max_width
        while excess > 0:  # shrink the widest columns first (rich's _collapse_widths)
            widest = max(widths)
            second = max((w for w in widths if w != widest), default=0)
            if not widest - second:
                break
            ratios = [1 if w == widest else 0 for w in widths]
            widths = ratio_reduce(
                excess, ratios, [min(excess, widest - second)] * len(widths), widths
            )
            excess = sum(widths) - max_width
        if excess > 0:  # last resort: reduce every column evenly
            widths = ratio_reduce(excess, [1] * len(widths), widths, widths)
        return widths


def to_rich(grid: Table) -> RichTable:
    """``grid`` as the rich ``Table`` it stands for, where rich must lay it out (colour, text
    :meth:`Table.render` does not handle). Each cell is a rich ``Text``, never parsed as markup:
    ``'[/]'`` in a pool's zone or a name stays what it is."""
    from rich.table import Table as RichTable
    from rich.text import Text

    table = RichTable(title=grid.title, title_justify="left")
    for column in grid.columns:
        table.add_column(column.header, justify=column.justify)
    for row in grid.rows:
        table.add_row(*(Text(cell) for cell in row))
    return table


def _cell(text: str, width: int, justify: Justify) -> list[str]:
    """A cell's lines: the text wrapped inside one space of padding each side."""
    return [f" {line} " for line in wrap(text, width - 2, justify, "ellipsis")]
