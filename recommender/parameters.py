"""The parameters of a retrain: model, optimiser and sampling settings, with defaults in one place."""

from dataclasses import fields
from typing import Any

from .ncf import ModelConfig
from .training import DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, TrainConfig

# negatives: sampled unrated movies per training positive (8, not the paper's 4: on the sparse real sample
# 4 gave GMF 0.416-0.427 HR@10 over seeds against popularity's 0.410, 8 gave 0.428 both times);
# negative_epochs: epochs of negatives Spark draws, cycled when training runs longer (the draw's cost grows
# with epochs x negatives: 10 x 8 costs what the former 20 x 4 did).
SAMPLING_DEFAULTS = {"negatives": 8, "eval_negatives": 99, "negative_epochs": 10}
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
    if min(int(parameters["negatives"]), int(parameters["eval_negatives"]), int(parameters["negative_epochs"])) < 1:
        raise ValueError("negatives, eval_negatives and negative_epochs must be at least 1")
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
