from sqlalchemy import select

from app import db
from app.audit.service import chain_hash
from app.models import AuditEvent
from tests.conftest import sign_in


def test_audit_trail_worker_sees_only_own_events(app, client, make_user):
    make_user("wanda", "Worker")
    make_user("bob", "Worker")
    sign_in(client, "bob")
    client.post("/logout", data={})
    sign_in(client, "wanda")
    page = client.get("/audit/").get_data(as_text=True)
    assert "My activity" in page
    assert "wanda" in page
    assert ">bob<" not in page


def test_audit_trail_admin_filters_by_login(app, client, make_user):
    make_user("ada", "Administrator")
    make_user("bob", "Worker")
    sign_in(client, "bob", "wrong password here")
    sign_in(client, "ada")
    page = client.get("/audit/", query_string={"login": "bob", "action": "auth."}).get_data(as_text=True)
    assert "auth.login_failed" in page
    assert ">ada<" not in page


def test_audit_chain_links_each_record(app, make_user):
    make_user("ada", "Administrator")
    make_user("bob", "Worker")
    key = app.extensions["trackerbox_keys"]["audit"]
    with app.app_context():
        events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        previous = ""
        for event in events:
            assert event.chain_hash == chain_hash(key, previous, event)
            previous = event.chain_hash
        assert len(events) == 2
