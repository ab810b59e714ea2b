"""What users get from a trained version: the refit serves, lists never show a rated movie and never run
short, a refresh folds in new ratings, similar movies, predicted stars, the quality gate, honest run states."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from catalog.models import Movie, Rating, User
from catalog.services import rating_delete, rating_set
from recommender import runs
from recommender.models import ModelVersion, RatingChange, Recommendation, SimilarMovie, TrainingRun, UserList
from recommender.refresh import refresh_due, refresh_user, stale_user_ids
from recommender.selectors import list_status, predicted_stars, recommendations_for, similar_movies

from .conftest import train_options

pytestmark = [pytest.mark.django_db, pytest.mark.spark, pytest.mark.slow]


def _command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_served_version_is_the_refit_on_all_ratings(trained_catalogue):
    version = ModelVersion.objects.get(is_active=True)
    metrics = trained_catalogue.metrics
    assert Path(version.model_path).name == "serving"
    assert metrics["refit_epochs"] == metrics["best_epoch"] >= 1
    assert "hr@10" in metrics and "refit_seconds" in metrics  # the held-out figures and what was served
    # The refit saw every rating: a user's held-out (latest) movie is never in their stored list.
    user = User.objects.get(movielens_id=3)
    latest = Rating.objects.filter(user=user).order_by("-timestamp", "-movie_id").first()
    assert not Recommendation.objects.filter(version=version, user=user, movie=latest.movie).exists()


def test_a_rated_movie_disappears_at_once_and_the_list_stays_ten_long(trained_catalogue):
    user = User.objects.get(movielens_id=5)
    shown = recommendations_for(user=user)
    for item in shown[:3]:
        rating_set(user=user, movie=item.movie, stars=4)
    again = recommendations_for(user=user)
    assert len(again) == 10
    assert not {i.movie.pk for i in shown[:3]} & {i.movie.pk for i in again}
    assert [i.movie.pk for i in again[:7]] == [i.movie.pk for i in shown[3:10]]


def test_the_read_is_two_queries(trained_catalogue, django_assert_num_queries):
    user = User.objects.get(movielens_id=8)
    with django_assert_num_queries(2):
        listed = recommendations_for(user=user)
        assert [g.name for g in listed[0].movie.genres.all()]


def test_a_list_never_runs_short_of_ten(trained_catalogue):
    user = User.objects.get(movielens_id=9)
    version = ModelVersion.objects.get(is_active=True)
    stored = list(Recommendation.objects.filter(version=version, user=user).order_by("rank")[:95])
    for row in stored:
        Rating.objects.create(user=user, movie=row.movie, stars=3, timestamp=1)
    listed = recommendations_for(user=user)
    assert len(listed) == 10
    assert {i.reason_kind for i in listed[-5:]} == {"popular"}
    assert not set(Rating.objects.filter(user=user).values_list("movie_id", flat=True)) & {i.movie.pk for i in listed}


def test_a_new_users_list_turns_personal_after_their_first_ratings(
    trained_catalogue, django_capture_on_commit_callbacks
):
    newcomer = User.objects.create_user("newcomer", password="x")
    popular = [i.movie.pk for i in recommendations_for(user=newcomer)]
    version = ModelVersion.objects.get(is_active=True)
    liked = list(SimilarMovie.objects.filter(version=version, rank=1).values_list("movie_id", flat=True)[:5])
    with django_capture_on_commit_callbacks(execute=True):
        for movie_id in liked:
            rating_set(user=newcomer, movie=Movie.objects.get(pk=movie_id), stars=5)
    assert list_status(user=newcomer).updating

    result = refresh_user(user_id=newcomer.pk)

    assert result.listed == 100 and result.seconds > 0
    listed = recommendations_for(user=newcomer)
    assert not list_status(user=newcomer).updating
    assert [i.movie.pk for i in listed] != popular
    assert all(i.reason_kind == "rated" and "5 stars" in i.reason for i in listed)
    assert 1.0 <= predicted_stars(user=newcomer, movie=listed[0].movie) <= 5.0


def test_the_refresh_reacts_to_a_rating_change(trained_catalogue):
    user = User.objects.get(movielens_id=11)
    refresh_user(user_id=user.pk)
    before = [i.movie.pk for i in recommendations_for(user=user, limit=20)]
    for movie in Movie.objects.exclude(ratings__user=user).order_by("?")[:15]:
        rating_set(user=user, movie=movie, stars=5)
    refresh_user(user_id=user.pk)
    after = [i.movie.pk for i in recommendations_for(user=user, limit=20)]
    assert before != after


def test_a_refresh_is_due_only_after_a_quiet_moment_or_a_long_wait(trained_catalogue, settings):
    settings.REFRESH_DEBOUNCE, settings.REFRESH_MAX_WAIT = 1.0, 10.0
    user = User.objects.get(movielens_id=12)
    refresh_user(user_id=user.pk)
    computed = UserList.objects.get(version__is_active=True, user=user).computed_at
    assert not refresh_due(user_id=user.pk)  # nothing changed
    RatingChange.objects.update_or_create(user=user, defaults={"changed_at": computed + timedelta(seconds=2)})
    assert not refresh_due(user_id=user.pk, now=computed + timedelta(seconds=2.5))  # still rating
    assert refresh_due(user_id=user.pk, now=computed + timedelta(seconds=3.5))  # quiet for a second
    RatingChange.objects.filter(user=user).update(changed_at=computed + timedelta(seconds=11))
    assert refresh_due(user_id=user.pk, now=computed + timedelta(seconds=11.1))  # a long burst: overdue
    RatingChange.objects.filter(user=user).update(changed_at=timezone.now())
    assert user.pk in stale_user_ids()
    assert "refreshed 1 list" in _command("refresh_recommendations", "--users", "12")
    assert user.pk not in stale_user_ids()


def test_deleting_a_rating_counts_as_a_change(trained_catalogue, django_capture_on_commit_callbacks):
    user = User.objects.get(movielens_id=13)
    refresh_user(user_id=user.pk)
    rating = Rating.objects.filter(user=user).first()
    with django_capture_on_commit_callbacks(execute=True):
        rating_delete(user=user, movie=rating.movie)
    assert list_status(user=user).updating


def test_similar_movies_are_the_nearest_twenty_other_movies(trained_catalogue):
    movie = Movie.objects.order_by("-ratings_count").first()
    neighbours = similar_movies(movie=movie)
    assert len(neighbours) == 20 and movie not in [n.movie for n in neighbours]
    sims = [n.similarity for n in neighbours]
    assert sims == sorted(sims, reverse=True) and -1.0 <= sims[-1] <= sims[0] <= 1.0
    output = _command("recommend", "--similar", str(movie.movielens_id))
    assert output.startswith(f"movies like {movie.title}") and " 20. " in output


def test_recommend_prints_titles_scores_and_reasons(trained_catalogue):
    output = _command("recommend", "4")
    assert output.startswith("recommendations for ml4") and " 10. " in output and "stars" in output
    assert "because you rated" in output or "popular with people" in output


def test_predicted_stars_come_from_the_explicit_model(trained_catalogue, django_user_model):
    user = User.objects.get(movielens_id=6)
    stars = [predicted_stars(user=user, movie=m) for m in Movie.objects.filter(ratings_count__gt=0).order_by("pk")[:20]]
    assert all(1.0 <= s <= 5.0 for s in stars) and len(set(stars)) > 1
    assert predicted_stars(user=django_user_model.objects.create_user("nobody"), movie=Movie.objects.first()) is None


def test_the_gate_rejects_a_broken_model_and_keeps_the_active_version(trained_catalogue, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    serving = ModelVersion.objects.get(is_active=True)
    output = StringIO()
    call_command("train", *train_options(lr=1e-9, epochs=1, patience=1), stdout=output)

    broken = TrainingRun.objects.exclude(pk=trained_catalogue.pk).get()
    assert broken.status == TrainingRun.Status.REJECTED and broken.in_progress is None
    assert "does not beat popularity" in broken.error and "hr@10" in broken.error
    assert ModelVersion.objects.get(is_active=True) == serving
    assert "NOT served" in output.getvalue()
    assert "REJECTED" in _command("evaluate") or "newer run" in _command("evaluate")

    assert "now serving version" in _command("activate_version", str(broken.version.pk))  # staff override
    assert ModelVersion.objects.get(is_active=True) == broken.version
    call_command("activate_version", str(serving.pk), stdout=StringIO())


def test_a_run_whose_version_went_live_is_never_failed_afterwards(trained_catalogue, settings):
    settings.TRAINING_STALE_AFTER = 1
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, stage="activate",
                                     heartbeat_at=timezone.now() - timedelta(hours=1))  # fmt: skip
    serving = ModelVersion.objects.get(is_active=True)
    version = ModelVersion.objects.create(run=run, model_path=serving.model_path)
    ModelVersion.objects.filter(pk=serving.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=version.pk).update(is_active=True)  # went live, then the worker was killed

    assert not runs.run_fail(run_id=run.pk, error="worker lost")
    assert runs.fail_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == TrainingRun.Status.SUCCEEDED and run.in_progress is None and not run.error
    ModelVersion.objects.filter(pk=version.pk).update(is_active=False)
    ModelVersion.objects.filter(pk=serving.pk).update(is_active=True)
    version.delete()


def test_only_the_kept_versions_folders_stay_on_disk(trained_catalogue, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    settings.RECOMMENDER_KEEP_VERSIONS = 2
    settings.RECOMMENDER_GATE_TOLERANCE = 1.0
    settings.RECOMMENDER_GATE_MARGIN = -1.0  # the gate has its own tests
    (tmp_path / "run-99999").mkdir()  # a failed run's leftovers
    for seed in (1, 2, 3):
        call_command("train", *train_options(seed=seed, epochs=2), stdout=StringIO())
    kept = set(ModelVersion.objects.values_list("run_id", flat=True))
    assert len(kept) == 2
    on_disk = {int(p.name.removeprefix("run-")) for p in tmp_path.glob("run-*")}
    assert on_disk == kept - {trained_catalogue.pk}


def test_the_sequence_variant_runs_end_to_end(trained_catalogue, settings, tmp_path):
    settings.ARTIFACTS_DIR = tmp_path
    settings.RECOMMENDER_GATE_MARGIN, settings.RECOMMENDER_GATE_TOLERANCE = -1.0, 1.0  # small data, few epochs
    serving = ModelVersion.objects.get(is_active=True)
    call_command("train", "--variant=sasrec", "--epochs=3", "--explicit-epochs=1", stdout=StringIO())
    run = TrainingRun.objects.exclude(pk=trained_catalogue.pk).get()
    assert run.status == TrainingRun.Status.SUCCEEDED, run.error
    assert set(run.stage_seconds) == set(TrainingRun.STAGES) and run.metrics["refit_epochs"] >= 1
    assert {"hr@10", "hr@10_full", "baseline_hr@10", "rmse"} <= set(run.metrics)

    user = User.objects.get(movielens_id=14)
    listed = recommendations_for(user=user)
    assert len(listed) == 10 and listed[0].version_id == run.version.pk
    assert all(i.reason_kind == "rated" for i in listed) and all(1 <= i.predicted_stars <= 5 for i in listed)
    newcomer = User.objects.create_user("sequence-newcomer")
    for movie in Movie.objects.filter(ratings_count__gt=0).order_by("-ratings_count")[3:6]:
        Rating.objects.create(user=newcomer, movie=movie, stars=5, timestamp=1_000)
    assert refresh_user(user_id=newcomer.pk).listed == 100  # personal from the first ratings, no fold-in
    assert recommendations_for(user=newcomer)[0].reason_kind == "rated"
    assert len(similar_movies(movie=listed[0].movie)) == 20
    assert "held out:" in _command("hits", "--users", "14")
    call_command("activate_version", str(serving.pk), stdout=StringIO())
