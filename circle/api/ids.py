"""The `int` URL converter of every route: an id outside the stored integer range is a 404, not a query."""
from __future__ import annotations

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from circle.limits import INT_MAX


class IdConverter(IntegerConverter):
    """`<int:…>` that answers 404 for a number no row can have (over circle.limits.INT_MAX) before any query."""

    def to_python(self, value: str) -> int:
        """Return the path's integer; raise 404 naming it when it is outside the stored range."""
        number = super().to_python(value)
        if number > INT_MAX:
            raise NotFound(f"id {value[:32]} not found: ids are at most {INT_MAX}")
        return number
