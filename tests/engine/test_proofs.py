"""The content-keyed proof store: reuse only for the exact inputs, masked, none in check mode."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

from maestro_tasks.engine import Context, Masker
from maestro_tasks.engine.proofs import Digest, Proofs
from maestro_tasks.engine.state import StateDir


def _digest(files: dict[str, bytes | None]) -> str:
    d = Digest("test")
    for name, data in files.items():
        d.add(name, data)
    return d.hexdigest()


def test_reuse_needs_the_same_digest(tmp_path):
    store = Proofs(StateDir(tmp_path))
    key = _digest({"compose.yaml": b"services: {}\n"})
    assert store.get("compose-config", key) is None
    store.put("compose-config", key, "config equal", {"services": 0})
    again = Proofs(StateDir(tmp_path)).get("compose-config", key)
    assert again is not None and again.reused and again.data == {"services": 0}
    assert "proven for inputs" in again.describe() and key[:12] in again.describe()
    changed = _digest({"compose.yaml": b"services: {}\n "})
    assert Proofs(StateDir(tmp_path)).get("compose-config", changed) is None


def test_no_cache_never_reuses_but_records(tmp_path):
    key = _digest({"a": b"1"})
    Proofs(StateDir(tmp_path)).put("k", key, "old")
    fresh = Proofs(StateDir(tmp_path), enabled=False)
    assert fresh.get("k", key) is None
    fresh.put("k", key, "new")
    assert Proofs(StateDir(tmp_path)).get("k", key).evidence == "new"


def test_check_mode_records_nothing(tmp_path):
    ctx = Context(target=tmp_path, check=True)
    ctx.proofs.put("k", _digest({}), "evidence")
    assert not (tmp_path / ".maestro").exists()


def test_secret_values_are_masked_in_the_store(tmp_path):
    ctx = Context(target=tmp_path, masker=Masker({"hunter2-very-secret"}))
    ctx.proofs.put("k", _digest({}), "saw hunter2-very-secret", {"line": "x hunter2-very-secret"})
    text = (tmp_path / ".maestro" / "proofs.json").read_text()
    assert "hunter2-very-secret" not in text
    assert json.loads(text)["k"]["data"]["line"].startswith("x ")


def test_a_corrupt_store_is_no_proof(tmp_path):
    (tmp_path / ".maestro").mkdir()
    (tmp_path / ".maestro" / "proofs.json").write_text("{not json")
    assert Proofs(StateDir(tmp_path)).get("k", _digest({})) is None


@given(st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.binary(max_size=5)),
                       max_size=4),
       st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.binary(max_size=5)),
                       max_size=4))
def test_digest_differs_for_different_inputs(a, b):
    if list(a.items()) != list(b.items()):
        assert _digest(a) != _digest(b)
    else:
        assert _digest(a) == _digest(b)


def test_absent_is_not_empty():
    assert _digest({"f": None}) != _digest({"f": b""})


def test_a_diff_preview_records_nothing(tmp_path):
    ctx = Context(target=tmp_path, diff=True, preview=True)
    ctx.proofs.put("k", _digest({}), "evidence")
    assert not (tmp_path / ".maestro").exists()
    ctx.preview = False  # the next task of a pipeline applies while it prints its diffs
    ctx.proofs.put("k", _digest({}), "evidence")
    assert (tmp_path / ".maestro" / "proofs.json").is_file()
