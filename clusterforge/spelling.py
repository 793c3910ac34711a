"""Did-you-mean for a misspelt name: the known names closest to it (difflib) and the words that
offer them. Validation rules, the spec's field hints, templates and the policy config all say it
this way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def close_names(name: str, known: Iterable[str], limit: int = 1) -> list[str]:
    """The names of ``known`` closest to ``name``, best first, at most ``limit``; only those
    difflib rates at least 0.6 alike, so none when nothing is close."""
    import difflib  # off the start-up path of commands that never suggest a name

    return difflib.get_close_matches(name, list(known), n=limit)


def did_you_mean(candidates: Sequence[str], *, quoted: bool = True, sep: str = " or ") -> str:
    """``did you mean 'a' or 'b'?`` offering ``candidates`` (``quoted``: as Python literals);
    empty when there are none."""
    if not candidates:
        return ""
    shown = [repr(c) if quoted else c for c in candidates]
    return f"did you mean {sep.join(shown)}?"
