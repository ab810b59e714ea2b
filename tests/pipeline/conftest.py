from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from catalog.generation import generate_movielens
from catalog.models import Genre, Movie, Release, User
from recommender.models import ModelVersion, TrainingRun

# Small enough for a few seconds of training, large enough for the model to beat popularity clearly.
SMALL = {"n_users": 200, "n_movies": 300, "n_ratings": 16_000}
FAST_TRAINING = {
    "variant": "gmf",
    "epochs": 8,
    "batch_size": 256,
    "lr": 0.002,
    "explicit_epochs": 2,
    "embedding_dim": 32,
}


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated") / "ml-1m"
    generate_movielens(out_dir=folder, seed=3, **SMALL)
    return folder


@pytest.fixture
def catalogue(small_dataset, settings, tmp_path):
    """The small generated dataset imported, and run folders under this test's tmp_path."""
    settings.ARTIFACTS_DIR = tmp_path / "runs"
    call_command("import_movielens", str(small_dataset), verbosity=0)
    return small_dataset


def train_options(**overrides) -> list[str]:
    return [f"--{key.replace('_', '-')}={value}" for key, value in {**FAST_TRAINING, **overrides}.items()]


@pytest.fixture(scope="module")
def trained_catalogue(django_db_setup, django_db_blocker, small_dataset, tmp_path_factory):
    """Imported and trained once per module (committed to the test database), removed afterwards."""
    runs = tmp_path_factory.mktemp("runs")
    with django_db_blocker.unblock(), override_settings(ARTIFACTS_DIR=runs):
        call_command("import_movielens", str(small_dataset), verbosity=0)
        call_command("train", *train_options(), verbosity=0)
        yield TrainingRun.objects.get()
        ModelVersion.objects.all().delete()
        TrainingRun.objects.all().delete()
        Movie.objects.all().delete()
        Genre.objects.all().delete()
        User.objects.all().delete()
        Release.objects.all().delete()  # the import records the release; later tests start from none
