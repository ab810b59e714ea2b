"""The staff pages in a real browser: the dashboard's charts drawn (axe-core: no serious or critical violation),
the runs, retrain and hits pages; then a retrain started from the form on small data with a real worker, its
bar followed to 100 % without a reload and its version served. Screenshots under var/screenshots/staff-*.png."""

import re

import pytest
from django.core.management import call_command

from catalog.models import User
from recommender.models import ModelVersion, Recommendation, TrainingRun
from tests.browser.conftest import PHONE, assert_accessible, log_in, screenshot
from tests.pipeline.conftest import small_dataset  # noqa: F401  (generated ML-1M-format data)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "staff only 2026"
CANVASES = ("chart-genres", "chart-boxplot", "chart-five", "chart-ratings-genre", "chart-time", "chart-per-user",
            "chart-coverage")  # fmt: skip


@pytest.fixture
def staff_catalogue(tiny_dataset):
    call_command("import_movielens", str(tiny_dataset), verbosity=0)
    staff = User.objects.create_user(username="boss", password=PASSWORD, is_staff=True)
    metrics = {"hr@10": 0.43, "baseline_hr@10": 0.41, "ndcg@10": 0.22, "baseline_ndcg@10": 0.21, "rmse": 0.91,
               "gate": "passes", "gate_passed": True}  # fmt: skip
    run = TrainingRun.objects.create(status="succeeded", in_progress=None, metrics=metrics, triggered_by=staff)
    version = ModelVersion.objects.create(run=run, model_path="x", is_active=True)
    from catalog.models import Movie

    movies = list(Movie.objects.order_by("-ratings_count")[:15])
    people = User.objects.filter(movielens_id__isnull=False)
    Recommendation.objects.bulk_create(
        Recommendation(version=version, user=p, rank=r, movie=movies[(i + r) % 15], score=1.0)
        for i, p in enumerate(people) for r in range(1, 11)
    )  # fmt: skip
    return staff


def test_the_staff_pages_draw_their_charts_and_pass_axe(new_page, staff_catalogue, axe_report):
    page = new_page()
    log_in(page, "boss", PASSWORD)
    page.get_by_role("link", name="Staff").click()
    page.wait_for_url("**/dashboard/")
    page.wait_for_function("() => window.Chart && document.querySelectorAll('canvas').length === 7")
    drawn = page.evaluate(
        "ids => ids.map(id => { const c = Chart.getChart(document.getElementById(id)); "
        "return c ? [c.config.type, c.options.plugins.title.text, c.data.labels ? c.data.labels.length : 0] : null; })",
        list(CANVASES),
    )
    assert all(drawn), dict(zip(CANVASES, drawn, strict=True))
    assert drawn[1][0] == "boxplot" and drawn[0][1] == "Distribution of movie genres"
    for cloud in page.locator("img[src*='wordcloud']").all():  # lazy: loaded once scrolled to
        cloud.scroll_into_view_if_needed()
        cloud.evaluate("img => img.complete || new Promise(done => img.addEventListener('load', done))")
        assert cloud.evaluate("img => img.naturalWidth") == 800
    screenshot(page, "staff-dashboard")
    assert_accessible(page, "staff-dashboard", axe_report)

    for url, name in (
        ("/staff/runs/", "staff-runs"),
        ("/staff/retrain/", "staff-retrain"),
        ("/staff/hits/", "staff-hits"),
    ):
        page.goto(url)
        screenshot(page, name)
        assert_accessible(page, name, axe_report)
    page.goto("/staff/runs/")
    assert page.evaluate("() => Chart.getChart(document.getElementById('runs-chart')).data.datasets.length") == 3

    phone = new_page(PHONE)
    log_in(phone, "boss", PASSWORD)
    phone.goto("/dashboard/")
    phone.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('chart-coverage'))")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    screenshot(phone, "staff-dashboard-phone")
    assert_accessible(phone, "staff-dashboard-phone", axe_report)


@pytest.mark.slow
@pytest.mark.spark
def test_staff_start_a_retrain_and_watch_it_reach_the_served_version(
    new_page,
    small_dataset,  # noqa: F811  (the fixture imported above)
    settings,
    tmp_path,
    start_worker,
    axe_report,
):
    settings.ARTIFACTS_DIR = tmp_path / "runs"
    call_command("import_movielens", str(small_dataset), verbosity=0)
    User.objects.create_user(username="boss", password=PASSWORD, is_staff=True)
    # the gate has its own tests: small data and few epochs must not keep the version from being served
    start_worker({"ARTIFACTS_DIR": str(tmp_path / "runs"), "RECOMMENDER_GATE_MARGIN": "-1",
                  "RECOMMENDER_GATE_TOLERANCE": "1"}, queues="training")  # fmt: skip
    page = new_page()
    log_in(page, "boss", PASSWORD)
    page.goto("/staff/retrain/")
    page.get_by_label("Variant").select_option("gmf")
    page.get_by_label("Epochs").fill("4")
    page.get_by_label("Factors (embedding size)").fill("16")
    with page.expect_navigation(url=re.compile(r"/staff/runs/\d+/$")):
        page.get_by_role("button", name="Start the retrain").click()
    run = TrainingRun.objects.get()
    assert f"Run {run.pk} queued" in page.inner_text(".messages")
    page.evaluate("() => { window.notReloaded = true; }")  # gone if the page reloads
    page.wait_for_function(
        "() => window.notReloaded && document.querySelector('[data-field=stage]').textContent === 'sample'"
        " && Number(document.querySelector('progress').value) > 0",
        timeout=120_000,
    )  # the bar and the stage moved without a reload: the page polls the JSON endpoint
    screenshot(page, "staff-run-progress")
    page.wait_for_function(
        "() => document.querySelector('[data-field=status]').textContent === 'succeeded'", timeout=300_000
    )
    assert page.locator("progress").evaluate("bar => bar.value") == 100
    assert "is being served" in page.inner_text("[data-field=result]")
    screenshot(page, "staff-run-done")
    assert_accessible(page, "staff-run-done", axe_report)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.version.is_active and run.triggered_by.username == "boss"
