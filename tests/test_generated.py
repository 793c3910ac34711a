"""The prebuilt files (stack schema, rule index): one loader error and one rewrite-if-changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from clusterforge import generated, ruleindex
from clusterforge.errors import ClusterforgeError
from clusterforge.spec import schema


def test_missing_generated_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ClusterforgeError) as caught:
        generated.read(tmp_path / "schema.json", "the stack schema", schema.REGENERATE)
    assert "the stack schema schema.json is missing or unreadable" in str(caught.value)
    assert schema.REGENERATE in (caught.value.hint or "")


def test_unparsable_rule_index_is_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "rule_index.json"
    broken.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(ruleindex, "INDEX_FILE", broken)
    ruleindex.rules.cache_clear()
    try:
        with pytest.raises(ClusterforgeError, match="the rule index rule_index.json is missing"):
            ruleindex.rules()
    finally:
        ruleindex.rules.cache_clear()


def test_write_if_changed_writes_only_a_difference(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    assert generated.write_if_changed(target, "a\n")
    stamp = target.stat().st_mtime_ns
    assert not generated.write_if_changed(target, "a\n")
    assert target.stat().st_mtime_ns == stamp
    assert generated.write_if_changed(target, "b\n")
    assert target.read_text(encoding="utf-8") == "b\n"


def test_registered_rules_are_the_skippable_ids() -> None:
    rows = ruleindex.registered()
    assert {r.registry for r in rows} == {"validation", "policies"}
    assert ruleindex.registered_ids() == frozenset(r.id for r in rows)
    assert {"EFA005", "GKE008"} <= ruleindex.registered_ids()
