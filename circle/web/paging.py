"""`?page=` of the dashboard's lists: which page to show and whether there are more."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request

from circle.store.base import Page

PER_PAGE = 50


def requested_page(per_page: int = PER_PAGE) -> Page:
    """Return the `?page=` of the request (the first page when missing or malformed)."""
    value = request.args.get("page", "1")
    return Page(max(1, int(value)) if value.isdigit() and len(value) < 7 else 1, per_page)


@dataclass(frozen=True)
class Pager:
    """Where a shown page sits in its list: the numbers of its neighbours (0 = none)."""

    page: Page
    total: int

    @property
    def previous(self) -> int:
        """Return the previous page number, 0 on the first page."""
        return self.page.page - 1 if self.page.page > 1 else 0

    @property
    def next(self) -> int:
        """Return the next page number, 0 on the last page."""
        return self.page.page + 1 if self.page.page * self.page.per_page < self.total else 0
