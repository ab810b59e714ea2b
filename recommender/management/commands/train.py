import signal
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from recommender.parameters import VARIANTS
from recommender.pipeline import STAGES
from recommender.reports import format_metrics, format_stage_seconds
from recommender.services import RetrainInProgress, retrain_in_process


class Command(BaseCommand):
    help = "Run the whole retrain pipeline in this process (no worker needed) and activate the new version."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--variant", choices=VARIANTS, help="ncf (the seed's MLP), gmf, neumf or sasrec (sequence-aware)"
        )
        parser.add_argument("--max-len", type=int, help="sasrec: the most recent movies it reads (default 50)")
        parser.add_argument("--epochs", type=int, help="most epochs (early stopping may stop sooner)")
        parser.add_argument("--batch-size", type=int)
        parser.add_argument("--lr", type=float, help="Adam learning rate")
        parser.add_argument("--l2", type=float, help="L2 weight on the embeddings")
        parser.add_argument("--embedding-dim", type=int)
        parser.add_argument("--layers", help="MLP widths, e.g. 64,32,16,8")
        parser.add_argument("--negatives", type=int, help="sampled negatives per positive (default 8)")
        parser.add_argument("--negative-epochs", type=int, help="epochs of negatives drawn, cycled (default 10)")
        parser.add_argument("--patience", type=int, help="epochs without improvement before stopping")
        parser.add_argument("--explicit-epochs", type=int, help="epochs of the explicit-rating model (RMSE)")
        parser.add_argument("--seed", type=int)
        parser.add_argument(
            "--refit",
            dest="refit",
            action="store_true",
            default=None,
            help="serve a model trained again on every rating (the default for ncf/gmf/neumf)",
        )
        parser.add_argument("--no-refit", dest="refit", action="store_false",
                            help="serve the held-out run's model (the default for sasrec)")  # fmt: skip

    def handle(self, *args, **options) -> None:
        parameters = {
            key: options[key]
            for key in ("variant", "epochs", "batch_size", "lr", "l2", "embedding_dim", "negatives", "patience",
                        "explicit_epochs", "seed", "refit", "negative_epochs", "max_len")
        }  # fmt: skip
        if options["layers"]:
            parameters["mlp_layers"] = [int(width) for width in options["layers"].split(",")]
        quiet = options["verbosity"] == 0
        bar = tqdm(total=100, unit="%", disable=quiet or not sys.stderr.isatty(), bar_format="{l_bar}{bar}| {elapsed}")
        progress = {"stage": STAGES[0], "done": 0.0}

        def on_stage(stage: str) -> None:
            progress["stage"] = stage
            bar.set_description(stage)

        def on_progress(fraction: float) -> None:
            bar.set_description(f"{progress['stage']} {fraction:.0%}")

        previous = signal.signal(signal.SIGTERM, _interrupt)  # a SIGTERM marks the run failed, as Ctrl-C does
        try:
            run = retrain_in_process(parameters=parameters, on_stage=on_stage, on_progress=on_progress)
        except RetrainInProgress as exc:
            raise CommandError(str(exc)) from exc
        except ValueError as exc:
            raise CommandError(f"training failed: {exc}") from exc
        finally:
            signal.signal(signal.SIGTERM, previous)
            bar.close()
        if not quiet:
            if run.status == run.Status.SUCCEEDED:
                self.stdout.write(f"run {run.pk} {run.status}; version {run.version.pk} is now active")
            else:
                self.stdout.write(f"run {run.pk} {run.status}; version {run.version.pk} is NOT served: {run.error}")
                self.stdout.write(f"  (staff can still serve it: manage.py activate_version {run.version.pk})")
            self.stdout.write(format_stage_seconds(run.stage_seconds))
            self.stdout.write(format_metrics(run.metrics))


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
