"""The audit trail is append-only in the database, and `trackerbox audit verify` finds tampering."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from app.cli import cli
from app.commands import context
from app.models import AuditEvent

TABLE = AuditEvent.__table__
CONTENT_COLUMNS = [column.name for column in TABLE.columns if column.name != "id"]


def _engine(app):
    return app.extensions["trackerbox_engine"]


def _drop_triggers(app) -> None:
    """Remove the append-only triggers so a test can tamper with the trail as an intruder with DBA rights would."""
    with _engine(app).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER audit_events_no_change ON audit_events"))
            connection.execute(text("DROP TRIGGER audit_events_no_truncate ON audit_events"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))


def _five_records(make_user) -> None:
    for login in ("ann", "ben", "cat", "dan", "eve"):
        make_user(login, "Worker")


def _verify(app, monkeypatch, *args: str):
    monkeypatch.setattr(context, "_app", app)
    return CliRunner().invoke(cli, ["audit", "verify", *args])


def _row(connection, record_id: int) -> dict:
    return dict(connection.execute(select(TABLE).where(TABLE.c.id == record_id)).mappings().one())


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'user.hidden' WHERE id = 1",
    "DELETE FROM audit_events WHERE id = 1",
    "DELETE FROM audit_events",
])
def test_append_only_rejects_update_and_delete(app, make_user, statement):
    make_user("ann", "Worker")
    with pytest.raises(DatabaseError, match="append-only"):
        with _engine(app).begin() as connection:
            connection.execute(text(statement))
    with _engine(app).connect() as connection:
        assert connection.execute(text("SELECT action FROM audit_events WHERE id = 1")).scalar() == "user.create"


def test_append_only_rejects_truncate_on_postgresql(app, make_user):
    if _engine(app).dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE statement")
    make_user("ann", "Worker")
    with pytest.raises(DatabaseError, match="append-only"):
        with _engine(app).begin() as connection:
            connection.execute(text("TRUNCATE audit_events"))
    with _engine(app).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1


def test_append_only_allows_insert(app, make_user):
    make_user("ann", "Worker")
    make_user("ben", "Worker")
    with _engine(app).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2


def test_verify_clean_chain_exits_zero(app, make_user, monkeypatch):
    _five_records(make_user)
    with _engine(app).connect() as connection:
        head = _row(connection, 5)["chain_hash"]
    result = _verify(app, monkeypatch, "--expect-head", f"5:{head}")
    assert result.exit_code == 0, result.output
    assert f"5 record(s), head 5:{head}" in result.output


def test_verify_empty_trail_exits_zero(app, monkeypatch):
    result = _verify(app, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "the trail is empty" in result.output


def test_verify_names_changed_record(app, make_user, monkeypatch):
    _five_records(make_user)
    _drop_triggers(app)
    with _engine(app).begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.id == 3).values(login="mallory"))
    result = _verify(app, monkeypatch)
    assert result.exit_code == 1
    assert "record 3 was changed" in result.output


def test_verify_names_record_with_rewritten_hash(app, make_user, monkeypatch):
    _five_records(make_user)
    _drop_triggers(app)
    with _engine(app).begin() as connection:
        connection.execute(update(TABLE).where(TABLE.c.id == 2).values(action="user.hidden", chain_hash="0" * 64))
    result = _verify(app, monkeypatch)
    assert result.exit_code == 1
    assert "record 2 was changed" in result.output


def test_verify_names_removed_record(app, make_user, monkeypatch):
    _five_records(make_user)
    _drop_triggers(app)
    with _engine(app).begin() as connection:
        connection.execute(TABLE.delete().where(TABLE.c.id == 3))
    result = _verify(app, monkeypatch)
    assert result.exit_code == 1
    assert "record 3 were removed" in result.output


def test_verify_names_first_record_removed(app, make_user, monkeypatch):
    _five_records(make_user)
    _drop_triggers(app)
    with _engine(app).begin() as connection:
        connection.execute(TABLE.delete().where(TABLE.c.id.in_([1, 2])))
    result = _verify(app, monkeypatch)
    assert result.exit_code == 1
    assert "records 1 to 2 were removed" in result.output


# After the swap, the content now in row ``first`` follows the row that contains the hash
# of the record originally before ``second``. That is row 3 for a swap of 2 and 4, and
# row 4 (which now contains record 3) for the adjacent swap of 3 and 4.
@pytest.mark.parametrize(("first", "second", "predecessor"), [(2, 4, 3), (3, 4, 4)])
def test_verify_names_swapped_records(app, make_user, monkeypatch, first, second, predecessor):
    _five_records(make_user)
    _drop_triggers(app)
    with _engine(app).begin() as connection:
        first_row, second_row = _row(connection, first), _row(connection, second)
        connection.execute(update(TABLE).where(TABLE.c.id == first).values({c: second_row[c] for c in CONTENT_COLUMNS}))
        connection.execute(update(TABLE).where(TABLE.c.id == second).values({c: first_row[c] for c in CONTENT_COLUMNS}))
    result = _verify(app, monkeypatch)
    assert result.exit_code == 1
    assert f"record {first} is out of order" in result.output
    assert f"belongs after record {predecessor}" in result.output


def test_verify_expect_head_finds_removed_newest(app, make_user, monkeypatch):
    _five_records(make_user)
    with _engine(app).connect() as connection:
        head = _row(connection, 5)["chain_hash"]
    _drop_triggers(app)
    with _engine(app).begin() as connection:
        connection.execute(TABLE.delete().where(TABLE.c.id >= 4))
    assert _verify(app, monkeypatch).exit_code == 0
    result = _verify(app, monkeypatch, "--expect-head", f"5:{head}")
    assert result.exit_code == 1
    assert "record 5 (the expected head)" in result.output
    assert "the newest record is 3" in result.output


def test_verify_expect_head_finds_wrong_hash(app, make_user, monkeypatch):
    _five_records(make_user)
    result = _verify(app, monkeypatch, "--expect-head", f"4:{'a' * 64}")
    assert result.exit_code == 1
    assert "record 4 does not have the expected head hash" in result.output


@pytest.mark.sqlite_only
def test_verify_rejects_malformed_head(app, monkeypatch):
    result = _verify(app, monkeypatch, "--expect-head", "five:abc")
    assert result.exit_code == 2
    assert "is not ID:HASH" in result.output


@pytest.mark.sqlite_only
def test_verify_streams_in_batches(app, make_user, monkeypatch):
    """The walk fetches rows in batches of BATCH_ROWS instead of loading the whole table."""
    from app.audit import verify

    monkeypatch.setattr(verify, "BATCH_ROWS", 2)
    _five_records(make_user)
    seen_batches = []
    original = verify._events

    def counting_events(session, after_id=0):
        for event in original(session, after_id):
            seen_batches.append(len(session.identity_map))
            yield event

    monkeypatch.setattr(verify, "_events", counting_events)
    result = _verify(app, monkeypatch)
    assert result.exit_code == 0, result.output
    assert max(seen_batches) <= 2


@pytest.mark.sqlite_only
def test_migration_adds_permissions_to_renamed_administrator(app):
    """Revision 0006 grants its new permissions to the built-in Administrator profile even after a rename."""
    from app import migrate

    engine = _engine(app)
    migrate.downgrade(engine, "0002")
    with engine.begin() as connection:
        connection.execute(text("UPDATE security_profiles SET name = 'Headquarters' WHERE id = 1"))
    migrate.upgrade(engine)
    with engine.connect() as connection:
        granted = set(connection.execute(text("SELECT permission FROM profile_permissions WHERE profile_id = 1"))
                      .scalars())
    assert {"backup.run", "backup.manage", "sessions.manage"} <= granted
