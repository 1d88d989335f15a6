import pytest
from werkzeug.exceptions import NotFound

from app import db
from app.models import Project, User
from app.projects import scoping
from app.projects.rates import member_rate_map, resolve_rate
from tests.factories import make_client, make_project


def test_worker_sees_only_member_projects(app, make_user):
    worker = make_user("wanda", "Worker")
    client = make_client(app)
    mine = make_project(app, client, "MINE", members=[worker])
    other = make_project(app, client, "OTHER")
    with app.app_context():
        user = db.session.get(User, worker.id)
        codes = [p.code for p in db.session.scalars(scoping.visible_projects_query(user))]
        assert codes == ["MINE"]
        assert scoping.get_project_for(user, mine.id).code == "MINE"
        with pytest.raises(NotFound):
            scoping.get_project_for(user, other.id)


def test_client_manager_sees_only_own_clients(app, make_user):
    manager = make_user("carl", "Client Manager")
    own = make_client(app, "Own Ltd", managers=[manager])
    foreign = make_client(app, "Foreign Ltd")
    with app.app_context():
        user = db.session.get(User, manager.id)
        assert scoping.get_client_for(user, own.id).name == "Own Ltd"
        with pytest.raises(NotFound):
            scoping.get_client_for(user, foreign.id)


@pytest.mark.parametrize(
    ("member_rate", "task_rate", "project_rate", "person_rate", "expected"),
    [
        (15000, 12000, 10000, 9000, (15000, "member")),
        (None, 12000, 10000, 9000, (12000, "task")),
        (None, None, 10000, 9000, (10000, "project")),
        (None, None, None, 9000, (9000, "person")),
        (None, None, None, None, (None, "none")),
    ],
)
def test_resolve_rate_order(app, make_user, member_rate, task_rate, project_rate, person_rate, expected):
    worker = make_user("wanda", "Worker", default_rate_minor=person_rate)
    client = make_client(app)
    project = make_project(app, client, members=[worker], hourly_rate_minor=project_rate)
    with app.app_context(), db.transaction():
        project = db.session.get(Project, project.id)
        project.members[0].hourly_rate_minor = member_rate
        project.tasks[0].hourly_rate_minor = task_rate
    with app.app_context():
        project = db.session.get(Project, project.id)
        user = db.session.get(User, worker.id)
        rate = resolve_rate(user, project, project.tasks[0])
        assert (rate.minor, rate.source) == expected
        batched = resolve_rate(user, project, project.tasks[0], member_rate_map({project.id}))
        assert batched == rate


def test_resolve_rate_skips_person_rate_in_other_currency(app, make_user):
    worker = make_user("wanda", "Worker", default_rate_minor=9000, currency="USD")
    project = make_project(app, make_client(app, currency="EUR"), members=[worker], hourly_rate_minor=None)
    with app.app_context():
        project = db.session.get(Project, project.id)
        rate = resolve_rate(db.session.get(User, worker.id), project, None)
        assert (rate.minor, rate.source) == (None, "none")
