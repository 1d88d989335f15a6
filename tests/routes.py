"""Route enumeration shared by the access-matrix and hardening tests."""
from __future__ import annotations

from collections.abc import Iterator

from werkzeug.routing import Rule


def app_rules(app, method: str) -> Iterator[Rule]:
    """Yield every registered rule that accepts ``method``, except the static files."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint != "static" and method in rule.methods:
            yield rule


def rule_url(app, rule: Rule) -> str:
    """Build a URL for ``rule`` with 1 for every id in it."""
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, {name: 1 for name in rule.arguments})
