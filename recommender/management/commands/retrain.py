import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.services import RetrainInProgress, trigger_retrain
from recommender.versions import active_version


class Command(BaseCommand):
    help = "Queue a retrain on the Celery training workers (manage.py train runs one here instead)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", action="store_true", help="follow the run until it ends")
        parser.add_argument("--if-none-active", action="store_true", help="do nothing when a version is served")

    def handle(self, *args, wait: bool, if_none_active: bool, **options) -> None:
        if if_none_active and active_version() is not None:
            self.stdout.write("a model version is already active; nothing queued")
            return
        try:
            run = trigger_retrain(trigger="command")
        except RetrainInProgress as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"queued run {run.pk} on the training queue")
        while wait and run.status in ("queued", "running"):
            time.sleep(2)
            run.refresh_from_db()
            self.stdout.write(f"  run {run.pk}: {run.status} {run.stage} {run.progress:.0f}%")
        if wait and run.status == "failed":
            raise CommandError(f"run {run.pk} failed: {run.error.splitlines()[0]}")
