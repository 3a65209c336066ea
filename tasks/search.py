from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q

from .models import Comment

CONFIG = "english"


def search_tasks(tasks, text: str):
    """Tasks whose title, details or comments match; PostgreSQL full-text search (served by
    the GIN indexes of migration 0002), a plain substring match on SQLite."""
    if connection.vendor != "postgresql":
        matching = Q(title__icontains=text) | Q(details__icontains=text)
        in_comments = Comment.objects.filter(body__icontains=text).values("task_id")
        return tasks.filter(matching | Q(id__in=in_comments))
    query = SearchQuery(text, config=CONFIG, search_type="websearch")
    in_comments = (
        Comment.objects.annotate(document=SearchVector("body", config=CONFIG))
        .filter(document=query)
        .values("task_id")
    )
    return tasks.annotate(document=SearchVector("title", "details", config=CONFIG)).filter(
        Q(document=query) | Q(id__in=in_comments)
    )
