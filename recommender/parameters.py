"""The parameters of a retrain: model, optimiser and sampling settings, with defaults in one place."""

from dataclasses import fields
from typing import Any

from .ncf import ModelConfig
from .training import DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, TrainConfig

SAMPLING_DEFAULTS = {"negatives": 4, "eval_negatives": 99}
EXPLICIT_DEFAULTS = {"explicit_epochs": 10}
# refit: serve a model trained again on every rating (True) or the held-out run's model itself (False).
SERVING_DEFAULTS = {"refit": True}
MODEL_KEYS = {f.name for f in fields(ModelConfig)} - {"objective"}
TRAIN_KEYS = {f.name for f in fields(TrainConfig)} - {"threads"}


def default_parameters() -> dict[str, Any]:
    model = {k: v for k, v in DEFAULT_MODEL_CONFIG.to_dict().items() if k in MODEL_KEYS}
    train = {k: v for k, v in DEFAULT_TRAIN_CONFIG.to_dict().items() if k in TRAIN_KEYS}
    extra = {**SAMPLING_DEFAULTS, **EXPLICIT_DEFAULTS, **SERVING_DEFAULTS}
    return {**model, **train, **extra, "mlp_layers": list(model["mlp_layers"])}


def resolve_parameters(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults with ``overrides`` applied (None values ignored); unknown or invalid values raise ValueError."""
    parameters = default_parameters()
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(given) - set(parameters)
    if unknown:
        raise ValueError(f"unknown retrain parameter(s): {', '.join(sorted(unknown))}")
    parameters.update(given)
    parameters["mlp_layers"] = [int(width) for width in parameters["mlp_layers"]]
    model_config(parameters)
    train_config(parameters, threads=0)
    if int(parameters["negatives"]) < 1 or int(parameters["eval_negatives"]) < 1:
        raise ValueError("negatives and eval_negatives must be at least 1")
    if not isinstance(parameters["refit"], bool):
        raise ValueError(f"refit must be true or false, not {parameters['refit']!r}")
    return parameters


def model_config(parameters: dict[str, Any], *, objective: str = "implicit") -> ModelConfig:
    """The implicit model as chosen; the explicit-rating model is always the seed's MLP (NCF), for RMSE."""
    values = {k: parameters[k] for k in MODEL_KEYS}
    if objective == "explicit":
        values["variant"] = "ncf"
    return ModelConfig(**values, objective=objective)


def train_config(parameters: dict[str, Any], *, threads: int, epochs: int | None = None) -> TrainConfig:
    values = {k: parameters[k] for k in TRAIN_KEYS}
    if epochs is not None:
        values["epochs"] = epochs
    return TrainConfig(**values, threads=threads)
