"""The parameters of a retrain: model, optimiser and sampling settings, with defaults in one place.

The NCF family (``ncf``, ``gmf``, ``neumf``) and the sequence model (``sasrec``) each have their own defaults;
a parameter that does not apply to the chosen variant is accepted and has no effect. The explicit-rating model
(RMSE, predicted stars) is the seed's MLP whatever the variant.
"""

from dataclasses import fields
from typing import Any

from .ncf import VARIANTS as NCF_VARIANTS
from .ncf import ModelConfig
from .training import DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG, TrainConfig

SEQUENCE_VARIANTS = ("sasrec",)
VARIANTS = (*NCF_VARIANTS, *SEQUENCE_VARIANTS)
# SASRec by measurement (README, "Comparison"): on generated ML-1M-size data 0.774 HR@10 (1+99) against GMF's
# 0.664 and popularity's 0.431; on the real sparse sample 0.539 against GMF 0.398 and popularity 0.400 (the
# only method that clears the quality gate there). The NCF variants stay one parameter away (--variant gmf).
DEFAULT_VARIANT = "sasrec"
NCF_DEFAULT_VARIANT = DEFAULT_MODEL_CONFIG.variant

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
# SASRec: embedding_dim is its width; max_len the most recent movies it reads, blocks and heads its attention.


def _ncf_defaults(variant: str) -> dict[str, Any]:
    model = {k: v for k, v in DEFAULT_MODEL_CONFIG.to_dict().items() if k in MODEL_KEYS}
    train = {k: v for k, v in DEFAULT_TRAIN_CONFIG.to_dict().items() if k in TRAIN_KEYS}
    extra = {**SAMPLING_DEFAULTS, **EXPLICIT_DEFAULTS, **SERVING_DEFAULTS}
    return {**model, **train, **extra, "mlp_layers": list(model["mlp_layers"]), "variant": variant}


def _sequence_defaults() -> dict[str, Any]:
    from .sasrec_training import DEFAULT_SASREC_CONFIG as model
    from .sasrec_training import DEFAULT_SASREC_TRAIN_CONFIG as train

    return {
        "variant": "sasrec", "embedding_dim": model.hidden, "dropout": model.dropout, "max_len": model.max_len,
        "blocks": model.blocks, "heads": model.heads, "epochs": train.epochs, "batch_size": train.batch_size,
        "lr": train.lr, "seed": train.seed, "patience": train.patience, "eval_k": train.eval_k,
        "eval_negatives": SAMPLING_DEFAULTS["eval_negatives"], **EXPLICIT_DEFAULTS, **SEQUENCE_SERVING_DEFAULTS,
    }  # fmt: skip


def default_parameters(variant: str | None = None) -> dict[str, Any]:
    variant = variant or DEFAULT_VARIANT
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    return _sequence_defaults() if variant in SEQUENCE_VARIANTS else _ncf_defaults(variant)


# SASRec serves without a refit by default: its input at serving time is every rating up to the snapshot (and
# after it, through the refresh), so the served lists already read each user's latest ratings; a refit would
# only let those last two ratings shape the movie embeddings too, at the cost of a second training (about as
# long as the first). `--refit` / {"refit": true} asks for it.
SEQUENCE_SERVING_DEFAULTS = {"refit": False}


def resolve_parameters(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The variant's defaults with ``overrides`` applied (None values ignored); unknown or invalid values raise
    ValueError."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    parameters = default_parameters(given.get("variant"))
    known = set(_ncf_defaults(NCF_DEFAULT_VARIANT)) | set(_sequence_defaults())
    unknown = set(given) - known
    if unknown:
        raise ValueError(f"unknown retrain parameter(s): {', '.join(sorted(unknown))}")
    parameters.update({k: v for k, v in given.items() if k in parameters})
    if "mlp_layers" in parameters:
        parameters["mlp_layers"] = [int(width) for width in parameters["mlp_layers"]]
    if is_sequence(parameters):
        sasrec_config(parameters)
        sasrec_train_config(parameters, threads=0)
    else:
        model_config(parameters)
        train_config(parameters, threads=0)
        if min(int(parameters["negatives"]), int(parameters["negative_epochs"])) < 1:
            raise ValueError("negatives, eval_negatives and negative_epochs must be at least 1")
    if int(parameters["eval_negatives"]) < 1:
        raise ValueError("negatives, eval_negatives and negative_epochs must be at least 1")
    if not isinstance(parameters["refit"], bool):
        raise ValueError(f"refit must be true or false, not {parameters['refit']!r}")
    return parameters


def is_sequence(parameters: dict[str, Any]) -> bool:
    return parameters.get("variant") in SEQUENCE_VARIANTS


def model_config(parameters: dict[str, Any], *, objective: str = "implicit") -> ModelConfig:
    """The implicit NCF model as chosen; the explicit-rating model is always the seed's MLP (NCF)."""
    if objective == "explicit":
        base = parameters if not is_sequence(parameters) else _ncf_defaults(NCF_DEFAULT_VARIANT)
        values = {k: base[k] for k in MODEL_KEYS}
        values["variant"] = "ncf"
        return ModelConfig(**values, objective=objective)
    return ModelConfig(**{k: parameters[k] for k in MODEL_KEYS}, objective=objective)


def train_config(parameters: dict[str, Any], *, threads: int, epochs: int | None = None) -> TrainConfig:
    """Optimisation of an NCF model; for a sequence run, that of its explicit-rating model (NCF defaults)."""
    base = parameters
    if is_sequence(parameters):
        base = {**_ncf_defaults(NCF_DEFAULT_VARIANT), "seed": parameters["seed"]}
    values = {k: base[k] for k in TRAIN_KEYS}
    if epochs is not None:
        values["epochs"] = epochs
    return TrainConfig(**values, threads=threads)


def sasrec_config(parameters: dict[str, Any]):
    from .sasrec import SASRecConfig

    return SASRecConfig(max_len=int(parameters["max_len"]), hidden=int(parameters["embedding_dim"]),
                        blocks=int(parameters["blocks"]), heads=int(parameters["heads"]),
                        dropout=float(parameters["dropout"]))  # fmt: skip


def sasrec_train_config(parameters: dict[str, Any], *, threads: int, epochs: int | None = None):
    from .sasrec_training import SASRecTrainConfig

    return SASRecTrainConfig(epochs=int(epochs or parameters["epochs"]), batch_size=int(parameters["batch_size"]),
                             lr=float(parameters["lr"]), seed=int(parameters["seed"]), threads=threads,
                             patience=int(parameters["patience"]), eval_k=int(parameters["eval_k"]))  # fmt: skip
