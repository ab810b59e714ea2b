"""SASRec artefacts: the folder layout and atomic writes of ``recommender.artifacts`` (``weights.pt`` + ``model.json``
with the weights' SHA-256), with ``"model_kind": "sasrec"`` and a ``SASRecConfig`` in ``model.json``.

A sibling of ``recommender.artifacts`` rather than a branch inside it, so the NCF loader stays as it is; it
refuses a SASRec folder (its config has keys ``ModelConfig`` does not know), and ``load_any`` reads either kind.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from recommender import artifacts
from recommender.sasrec import SASRec, SASRecConfig

MODEL_KIND = "sasrec"


def save_sasrec(path: Path, model: SASRec, extra: dict[str, Any] | None = None) -> Path:
    """Write the artefact folder at ``path`` (created if missing); ``extra`` must be JSON-serialisable."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    state = {name: value.detach().cpu().clone() for name, value in model.state_dict().items()}
    weights = artifacts._write_atomic(path / artifacts.WEIGHTS_FILE, lambda handle: torch.save(state, handle))
    meta = {
        "format_version": artifacts.FORMAT_VERSION,
        "model_kind": MODEL_KIND,
        "model_config": model.config.to_dict(),
        "n_movies": int(model.n_movies),
        "weights_sha256": artifacts._sha256(weights),
        "torch_version": torch.__version__,
        "saved_at": datetime.now(UTC).isoformat(),
        "extra": extra or {},
    }
    text = json.dumps(meta, indent=2, sort_keys=True).encode()
    artifacts._write_atomic(path / artifacts.CONFIG_FILE, lambda handle: handle.write(text))
    return path


def is_sasrec(path: Path) -> bool:
    return json.loads((Path(path) / artifacts.CONFIG_FILE).read_text()).get("model_kind") == MODEL_KIND


def load_sasrec(path: Path) -> tuple[SASRec, SASRecConfig, dict[str, Any]]:
    """(model in eval mode, its config, the metadata written beside it, ``extra`` included)."""
    path = Path(path)
    meta = json.loads((path / artifacts.CONFIG_FILE).read_text())
    if meta.get("format_version") != artifacts.FORMAT_VERSION or meta.get("model_kind") != MODEL_KIND:
        raise ValueError(f"{path} is not a SASRec artefact of format {artifacts.FORMAT_VERSION}")
    if artifacts._sha256(path / artifacts.WEIGHTS_FILE) != meta["weights_sha256"]:
        raise ValueError(f"{path / artifacts.WEIGHTS_FILE} does not match {path / artifacts.CONFIG_FILE}")
    config = SASRecConfig.from_dict(meta["model_config"])
    model = SASRec(config, int(meta["n_movies"]))
    model.load_state_dict(torch.load(path / artifacts.WEIGHTS_FILE, map_location="cpu", weights_only=True))
    return model.eval(), config, meta


def load_any(path: Path) -> tuple[nn.Module, Any, dict[str, Any]]:
    """Either kind of artefact: SASRec by its ``model_kind``, anything else through ``artifacts.load_model``."""
    return load_sasrec(path) if is_sasrec(path) else artifacts.load_model(path)
