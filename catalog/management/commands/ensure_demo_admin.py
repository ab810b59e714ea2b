import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Make sure a staff superuser exists for the demo and print its login (the password is kept in var/)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options) -> None:
        password_file = settings.VAR_DIR / f"{username}-password.txt"
        password = password_file.read_text().strip() if password_file.exists() else secrets.token_urlsafe(12)
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(f"username: {username}  password: {password}")
