from celery import Celery
from celery.schedules import crontab

from worker.celery import schedule_retrains


def test_no_retrain_is_scheduled_by_default(settings):
    settings.RETRAIN_SCHEDULE = ""
    app = Celery("probe")
    schedule_retrains(app)
    assert app.conf.beat_schedule == {}


def test_a_crontab_setting_schedules_the_retrain(settings):
    settings.RETRAIN_SCHEDULE = "30 3 * * 1"
    app = Celery("probe")
    schedule_retrains(app)
    entry = app.conf.beat_schedule["scheduled retrain"]
    assert entry["task"] == "worker.tasks.training.scheduled_retrain"
    assert entry["schedule"] == crontab(minute="30", hour="3", day_of_week="1")
