import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "For the demo only: give one imported MovieLens user (default 450, the seed's example) a password and "
        "print the login. Every other imported user keeps an unusable password."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--movielens-id", type=int, default=450)

    def handle(self, *args, movielens_id: int, **options) -> None:
        try:
            user = get_user_model().objects.get(movielens_id=movielens_id)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user with MovieLens id {movielens_id}: import MovieLens first") from None
        password_file = settings.VAR_DIR / f"{user.username}-password.txt"
        password = password_file.read_text().strip() if password_file.exists() else secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(f"username: {user.username}  password: {password}")
