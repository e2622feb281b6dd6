"""A patient's "What's new since you last visited"."""

from django.http import Http404
from django.shortcuts import redirect, render

from alliance.selectors.news import PAGE_LIMIT, news_recently_seen, news_thing_get, whats_new_for
from alliance.services.news import news_seen_mark, news_visit_mark
from patients.decorators import patient_required


@patient_required
def whats_new(request):
    """Everything new, newest first. Showing it here counts as seeing it: next time it is under "seen"."""
    news = whats_new_for(user=request.user, limit=PAGE_LIMIT)
    recent = news_recently_seen(user=request.user)
    news_seen_mark(user=request.user, things=news.new)
    news_visit_mark(user=request.user)
    return render(request, "alliance/news/whats_new.html", {"news": news, "recent": recent})


@patient_required
def whats_new_open(request, kind, pk):
    """Mark one new thing seen and take the patient to it. Not theirs, or not a thing: 404."""
    thing = news_thing_get(user=request.user, kind=kind, pk=pk)
    if thing is None:
        raise Http404("Not found.")
    news_seen_mark(user=request.user, things=[thing])
    news_visit_mark(user=request.user)
    return redirect(thing.url)
