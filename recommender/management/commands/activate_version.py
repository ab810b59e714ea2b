from django.core.management.base import BaseCommand, CommandError, CommandParser

from recommender.models import ModelVersion
from recommender.services import rollback_to


class Command(BaseCommand):
    help = "Serve a model version (roll back or forward), a rejected one included: staff's override of the gate."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", type=int, help="the version id (see the admin or 'evaluate')")

    def handle(self, *args, version: int, **options) -> None:
        try:
            activated = rollback_to(version_id=version)
        except ModelVersion.DoesNotExist:
            kept = ", ".join(str(pk) for pk in ModelVersion.objects.values_list("pk", flat=True)) or "none"
            raise CommandError(f"no model version {version} (kept versions: {kept})") from None
        self.stdout.write(f"now serving version {activated.pk} (run {activated.run_id})")
