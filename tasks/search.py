import re

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q

from .models import Comment

CONFIG = "english"
# As in web search engines, a minus excludes the word or quoted phrase right after it; any
# other minus is read as a space, for a run of them stacks NOTs that PostgreSQL's query parser
# refuses ("tsquery stack too small").
STRAY_MINUS = re.compile(r'-(?![^\W_]|")')


def search_tasks(tasks, text: str):
    """Tasks whose title, details or comments match; PostgreSQL full-text search (served by
    the GIN indexes of migration 0002), a plain substring match on SQLite."""
    if connection.vendor != "postgresql":
        matching = Q(title__icontains=text) | Q(details__icontains=text)
        in_comments = Comment.objects.filter(body__icontains=text).values("task_id")
        return tasks.filter(matching | Q(id__in=in_comments))
    query = SearchQuery(STRAY_MINUS.sub(" ", text), config=CONFIG, search_type="websearch")
    in_comments = (
        Comment.objects.annotate(document=SearchVector("body", config=CONFIG))
        .filter(document=query)
        .values("task_id")
    )
    return tasks.annotate(document=SearchVector("title", "details", config=CONFIG)).filter(
        Q(document=query) | Q(id__in=in_comments)
    )
