"""Did-you-mean (clusterforge/spelling.py): every caller's suggestion comes from here."""

from __future__ import annotations

import pytest

from clusterforge.spec.schema import spelling_hint
from clusterforge.spelling import close_names, did_you_mean
from clusterforge.workflow import templates


def test_close_names_are_the_nearest_first_and_none_when_nothing_is_close() -> None:
    known = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1"]
    assert close_names("us-east1", known, 2) == ["us-east-1", "us-east-2"]
    assert close_names("us-east1", known) == ["us-east-1"]
    assert close_names("antarctica", known, 3) == []
    assert close_names("gpu-pol", {"gpu-pool": 1, "system": 2}) == ["gpu-pool"]  # any iterable


def test_the_words_quoted_unquoted_and_empty() -> None:
    assert did_you_mean(["a", "b"]) == "did you mean 'a' or 'b'?"
    assert did_you_mean(["a", "b"], quoted=False, sep=", ") == "did you mean a, b?"
    assert did_you_mean([]) == ""


def test_the_callers_keep_their_texts() -> None:
    assert spelling_hint("node_pool", ["name", "node_pools"]) == (
        "did you mean 'node_pools'? `clusterforge schema` prints every field"
    )
    assert spelling_hint("zzz", ["name"]) == (
        "check the spelling; `clusterforge schema` prints every field"
    )
    with pytest.raises(templates.UsageError) as caught:
        templates.get("aws-llm-trainin")
    assert caught.value.hint == (
        "did you mean aws-llm-training, aws-trainium? see `clusterforge templates`"
    )
    template = templates.get("aws-llm-training")
    with pytest.raises(templates.UsageError) as caught:
        templates.resolve_values(template, {"nodez": "4"})
    assert str(caught.value).startswith(
        "--set nodez: aws-llm-training has no variable 'nodez' (did you mean nodes?)"
    )
