"""Short tasks on the `default` queue: refresh users' lists after their ratings changed."""

from worker.celery import app


@app.task(name="worker.tasks.recommendations.refresh_user_list", ignore_result=True)
def refresh_user_list(user_id: int) -> bool:
    """Refresh one user's list if it is due (a burst of ratings coalesces); True when it was refreshed."""
    from recommender.refresh import refresh_due, refresh_user

    if not refresh_due(user_id=user_id):
        return False
    return refresh_user(user_id=user_id) is not None


@app.task(name="worker.tasks.recommendations.refresh_user_lists", ignore_result=True)
def refresh_user_lists(user_ids: list[int]) -> int:
    """Refresh many users' lists (after an import), without debouncing."""
    from recommender.refresh import refresh_user

    return sum(refresh_user(user_id=pk) is not None for pk in user_ids)
