"""Pages of the recommender: "For you" (with a small status endpoint and the list as a fragment, so the page
can swap in the refreshed list) and the seed's "was it a hit?" view."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import list_status, popular_for, recommendations_for
from .versions import active_version


@require_GET
def for_you(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "recommender/for_you.html", {"items": popular_for(limit=10)})
    return render(request, "recommender/for_you.html", _list_context(request))


@login_required
@require_GET
def for_you_list(request: HttpRequest) -> HttpResponse:
    """The list alone (the fragment the page swaps in once a refresh has run)."""
    return render(request, "recommender/_for_you_list.html", _list_context(request))


@require_GET
def for_you_status(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"error": "sign in to see the status of your list"}, status=401)
    status = list_status(user=request.user)
    return JsonResponse(
        {
            "updating": status.updating,
            "version_id": status.version_id,
            "computed_at": status.computed_at.isoformat() if status.computed_at else None,
            "changed_at": status.changed_at.isoformat() if status.changed_at else None,
        }
    )


def _list_context(request: HttpRequest) -> dict:
    items = recommendations_for(user=request.user)
    status = list_status(user=request.user)
    mine_count = request.user.ratings.count()
    return {
        "items": items,
        "status": status,
        "rated_count": mine_count,
        "personal": any(item.reason_kind != "popular" for item in items),
    }


@login_required
@require_GET
def hits(request: HttpRequest, movielens_id: int | None = None) -> HttpResponse:
    """The held-out movie, the top 10 the model would have shown, hit or miss: a user sees their own, staff
    anyone's (``?user=450`` or ``/hits/450/``)."""
    if movielens_id is None and request.user.is_staff and request.GET.get("user", "").strip():
        raw = request.GET["user"].strip()
        if not raw.isdigit():
            context = {"error": f"'{raw}' is not a MovieLens user id."}
            return render(request, "recommender/hits.html", context, status=400)
        movielens_id = int(raw)
    person = _hit_person(request, movielens_id)
    version = active_version()
    context = {"person": person, "version": version, "label": _label(person)}
    if version is not None:
        from .hits import hit_reports, hit_sentence  # loads the model: only this page pays for it

        try:
            report = hit_reports(version=version, user_pks=[person.pk])[0]
        except (FileNotFoundError, OSError):
            context["error"] = "The active model's files cannot be read on this server."
        else:
            context.update(report=report, sentence=hit_sentence(label=_label(person), report=report))
    return render(request, "recommender/hits.html", context)


def _hit_person(request: HttpRequest, movielens_id: int | None):
    if movielens_id is None or movielens_id == request.user.movielens_id:
        return request.user
    if not request.user.is_staff:
        raise Http404("You can only see your own hit report.")
    try:
        return get_user_model().objects.get(movielens_id=movielens_id)
    except get_user_model().DoesNotExist:
        raise Http404(f"No user with MovieLens id {movielens_id}.") from None


def _label(person) -> str:
    return str(person.movielens_id) if person.movielens_id else person.username
