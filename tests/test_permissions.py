"""Every route declares who may call it; an undeclared route fails closed."""
from app.security.permissions import PUBLIC, declared_permissions


def test_every_route_declares_permission(app):
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and declared_permissions(app.view_functions[rule.endpoint]) is None
    ]
    assert undeclared == []


def test_public_routes_are_few(app):
    public = sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and declared_permissions(app.view_functions[rule.endpoint]) == PUBLIC
    )
    assert public == ["/healthz", "/login", "/login/verify"]


def test_undeclared_route_is_refused(app, client, make_user):
    from tests.conftest import sign_in

    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    make_user("ada", "Administrator")
    sign_in(client, "ada")
    assert client.get("/undeclared").status_code == 403
