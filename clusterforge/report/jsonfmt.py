"""JSON rendering: the plan contract, stable key order, the same bytes from either encoder.

The documents are written as ``json.dumps(document, indent=2, default=str)`` writes them. With
``indent`` set the stdlib encoder runs in pure Python (0.6 s for a 4,000-resource plan), so a
document of plain JSON values goes through orjson instead, which writes the same text for them:
the same indentation and separators, the same escapes below U+007F, the same integers, and the
same shortest round-trip floats except below 1e-4 (Python writes ``1e-05``, orjson
``0.00001``). What orjson would write differently is left to the stdlib: such floats, NaN and
infinities, integers beyond 64 bits, strings with lone surrogates, keys that are not strings,
and every type that is not a plain dict, list, str, int, float, bool or None (which
``default=str`` turns into its ``str``). orjson writes characters from U+007F up unescaped;
they are escaped afterwards as the stdlib's ``ensure_ascii`` does.
"""

from __future__ import annotations

import json
import math
import re
from types import ModuleType
from typing import Any

from clusterforge.report.model import Report, plan_document
from clusterforge.secrets import redact

_orjson: ModuleType | None
try:
    import orjson
except ImportError:  # a dependency; without it (a bare source tree) the stdlib writes the same
    _orjson = None
else:
    _orjson = orjson

# Floats written alike by both encoders: zero, and finite magnitudes from 1e-4 up.
_SMALLEST_ALIKE = 1e-4
# What ``ensure_ascii`` escapes that orjson writes as is: DEL and everything above ASCII.
_NOT_ASCII = re.compile("[\x7f-\U0010ffff]")


def render_json(report: Report) -> str:
    # Values under secret keys and URL credentials masked wherever they sit in the document.
    return dumps(redact(plan_document(report)))


def dumps(document: Any) -> str:
    """``json.dumps(document, indent=2, default=str) + "\\n"``, the same text, faster."""
    if _orjson is not None and _alike(document):
        try:
            encoded = _orjson.dumps(document, option=_orjson.OPT_INDENT_2)
        except TypeError:  # orjson.JSONEncodeError: an int beyond 64 bits, a lone surrogate, a
            pass  # key that is not a str
        else:
            return _ascii(encoded.decode("utf-8")) + "\n"
    return json.dumps(document, indent=2, default=str) + "\n"


def _alike(document: Any) -> bool:
    """Whether ``document`` holds only values both encoders write alike (see the module doc)."""
    pending = [document]
    pop, extend = pending.pop, pending.extend
    while pending:
        value = pop()
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if kind is dict:  # a key that is not exactly a str: orjson raises, dumps falls back
            extend(value.values())
        elif kind is list:
            extend(value)
        elif kind is float:
            if value != 0.0 and not (_SMALLEST_ALIKE <= abs(value) < math.inf):
                return False
        else:
            return False
    return True


def _ascii(text: str) -> str:
    """``text`` with DEL and the non-ASCII characters escaped as ``ensure_ascii`` escapes them
    (``\\u00e9``; a surrogate pair above U+FFFF). orjson writes them only inside strings."""
    if text.isascii() and "\x7f" not in text:
        return text
    return _NOT_ASCII.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"
