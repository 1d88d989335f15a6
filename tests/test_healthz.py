from app import migrate


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok", "schema": "ok"}}


def test_healthz_reports_old_schema(app, client):
    migrate.downgrade(app.extensions["trackerbox_engine"], "0001")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["schema"].startswith("at 0001")
