import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.models import TrainingRun
from recommender.reports import format_metrics, format_stage_seconds, gate_line, version_metrics_json
from recommender.versions import active_version


class Command(BaseCommand):
    help = "Print the metrics of the version being served, beside the popularity baseline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", dest="as_json", action="store_true", help="one JSON object, for other programs")

    def handle(self, *args, as_json: bool, **options) -> None:
        version = active_version()
        if version is None:
            raise CommandError("no model version is active yet: run 'python manage.py train' first")
        if as_json:
            self.stdout.write(json.dumps(version_metrics_json(version), sort_keys=True))
            return
        run = version.run
        self.stdout.write(f"version {version.pk} (run {run.pk}, {run.parameters.get('variant')}), active since "
                          f"{version.activated_at:%Y-%m-%d %H:%M}")  # fmt: skip
        self.stdout.write(format_stage_seconds(run.stage_seconds))
        self.stdout.write(format_metrics(run.metrics))
        self.stdout.write(gate_line(run))
        latest = TrainingRun.objects.exclude(pk=run.pk).filter(created_at__gt=run.created_at).first()
        if latest is not None:
            self.stdout.write(f"newer run {latest.pk}: {latest.status}{': ' + latest.error if latest.error else ''}")
