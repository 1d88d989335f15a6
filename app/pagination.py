"""Paging of list queries: one COUNT and one page of rows, whatever the table size."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select

from app import db

DEFAULT_PER_PAGE = 50


@dataclass
class Page:
    items: list[Any]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def page_number() -> int:
    """Return the ``page`` query argument, falling back to 1 for anything that is not a positive number."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def paginate(statement: Select, *, per_page: int = DEFAULT_PER_PAGE, number: int | None = None,
             scalars: bool = True) -> Page:
    """Run ``statement`` for one page; ``scalars=False`` keeps multi-column rows."""
    number = number or page_number()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    last_page = max(1, -(-total // per_page))
    number = min(number, last_page)
    paged = statement.limit(per_page).offset((number - 1) * per_page)
    rows = db.session.scalars(paged).all() if scalars else db.session.execute(paged).all()
    return Page(items=list(rows), number=number, per_page=per_page, total=total)
