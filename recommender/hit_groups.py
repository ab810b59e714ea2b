"""The hits explorer's reads: the hit rate of the active version by user group (age bucket, gender, number of
ratings), from the seed's per-user hit reports (``recommender.hits``). Cold users, those with few ratings, are
where recommenders fail: the ratings-count groups show it.

Scoring every user of a run costs a model load and a full-catalogue ranking (seconds on ML-1M), so the result is
cached per version; a version's hits never change (they are about its own held-out split).
"""

from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from catalog.models import User

from .models import ModelVersion

CACHE_SECONDS = 7 * 24 * 3600
# Ratings per user now (ML-1M users have at least 20; people who joined on the site may have fewer).
RATING_BUCKETS = ((1, 19), (20, 29), (30, 49), (50, 99), (100, 199), (200, 499), (500, None))


@dataclass(frozen=True)
class GroupRate:
    group: str
    users: int
    hits: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.users if self.users else None


def _ratings_bucket(count: int) -> str:
    for low, high in RATING_BUCKETS:
        if count >= low and (high is None or count <= high):
            return f"{low}+" if high is None else f"{low}–{high}"
    return "none"


def rates_by_group(hits: dict[int, bool], people: list[dict[str, Any]]) -> dict[str, list[GroupRate]]:
    """``hits``: user pk -> hit (users with a held-out movie only); ``people``: dicts of pk, age, gender, ratings.

    Returns the rate per group under "age", "gender" and "ratings", groups in their natural order."""
    age_labels = dict(User.AgeBucket.choices)
    gender_labels = dict(User.Gender.choices)
    order = {
        "age": [label for _, label in User.AgeBucket.choices] + ["unknown"],
        "gender": [label for _, label in User.Gender.choices] + ["unknown"],
        "ratings": [f"{lo}+" if hi is None else f"{lo}–{hi}" for lo, hi in RATING_BUCKETS],
    }
    tallies: dict[str, dict[str, list[int]]] = {dimension: {} for dimension in order}
    for person in people:
        if person["pk"] not in hits:
            continue
        groups = {
            "age": age_labels.get(person["age"], "unknown"),
            "gender": gender_labels.get(person["gender"], "unknown"),
            "ratings": _ratings_bucket(person["ratings"]),
        }
        for dimension, group in groups.items():
            tally = tallies[dimension].setdefault(group, [0, 0])
            tally[0] += 1
            tally[1] += int(hits[person["pk"]])
    return {
        dimension: [GroupRate(g, *tallies[dimension][g]) for g in order[dimension] if g in tallies[dimension]]
        for dimension in order
    }


def version_hits(version: ModelVersion) -> dict[int, bool]:
    """Hit or miss for every user of the version's run who has a held-out movie (user pk -> hit)."""
    from .hits import hit_reports  # loads the model: only the explorer pays for it
    from .snapshot import load_id_maps

    user_map, _ = load_id_maps(version.run.data_uri)
    pks = [int(pk) for pk in user_map]
    reports = hit_reports(version=version, user_pks=pks)
    return {pk: report.hit for pk, report in zip(pks, reports, strict=True) if report.held_out is not None}


def group_hit_rates(version: ModelVersion) -> dict[str, Any]:
    """The version's hit rate overall and by group (cached per version)."""
    key = f"hit-groups:{version.pk}"
    result = cache.get(key)
    if result is None:
        hits = version_hits(version)
        people = list(
            User.objects.filter(pk__in=list(hits))
            .annotate(ratings_n=Count("ratings"))
            .values("pk", "age", "gender", "ratings_n")
        )
        people = [{**p, "ratings": p.pop("ratings_n")} for p in people]
        result = {
            "users": len(hits),
            "hits": sum(hits.values()),
            "groups": {dimension: [(g.group, g.users, g.hits, g.rate) for g in rows]
                       for dimension, rows in rates_by_group(hits, people).items()},
        }  # fmt: skip
        cache.set(key, result, timeout=CACHE_SECONDS)
    return result
