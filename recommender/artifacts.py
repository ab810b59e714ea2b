"""Model artefacts: a folder holding ``weights.pt`` (a state_dict) and ``model.json`` (config and metadata).

Each file is written to a temporary name in the same folder and moved into place with ``os.replace``, weights
first; ``model.json`` records the weights' SHA-256, so a folder caught between the two moves is refused on load
instead of pairing new weights with an old config. Loading uses ``torch.load(weights_only=True)`` and needs
only this module and ``recommender.ncf``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import nn

from recommender.ncf import ModelConfig, PairModel, build_model

FORMAT_VERSION = 1
WEIGHTS_FILE = "weights.pt"
CONFIG_FILE = "model.json"


def save_model(
    path: Path,
    model: nn.Module,
    config: ModelConfig,
    n_users: int | None = None,
    n_movies: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the artefact folder at ``path`` (created if missing); ``extra`` must be JSON-serialisable.

    ``n_users`` and ``n_movies`` default to the sizes the model was built with.
    """
    path = Path(path)
    n_users = model.n_users if n_users is None else n_users
    n_movies = model.n_movies if n_movies is None else n_movies
    path.mkdir(parents=True, exist_ok=True)
    state = {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}
    weights = _write_atomic(path / WEIGHTS_FILE, lambda handle: torch.save(state, handle))
    meta = {
        "format_version": FORMAT_VERSION,
        "model_config": config.to_dict(),
        "n_users": int(n_users),
        "n_movies": int(n_movies),
        "weights_sha256": _sha256(weights),
        "torch_version": torch.__version__,
        "saved_at": datetime.now(UTC).isoformat(),
        "extra": extra or {},
    }
    text = json.dumps(meta, indent=2, sort_keys=True).encode()
    _write_atomic(path / CONFIG_FILE, lambda handle: handle.write(text))
    return path


def load_model(path: Path) -> tuple[PairModel, ModelConfig, dict[str, Any]]:
    """(model in eval mode, its config, the metadata written beside it, ``extra`` included)."""
    path = Path(path)
    meta = json.loads((path / CONFIG_FILE).read_text())
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported artefact format {meta.get('format_version')!r} in {path}")
    if _sha256(path / WEIGHTS_FILE) != meta["weights_sha256"]:
        raise ValueError(f"{path / WEIGHTS_FILE} does not match {path / CONFIG_FILE}")
    config = ModelConfig.from_dict(meta["model_config"])
    model = build_model(config, meta["n_users"], meta["n_movies"])
    state = torch.load(path / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval(), config, meta


def _write_atomic(target: Path, write: Callable[[BinaryIO], object]) -> Path:
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it private; web workers may run as another user
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
