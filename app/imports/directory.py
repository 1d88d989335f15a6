"""Finding the people, clients, projects and tasks that the rows of a file name.

All existing names are loaded once, so resolving a file of any length costs a fixed
number of queries. Lookups are case-insensitive. A name that matches nothing raises
NotFoundInTrackerBox, unless the import creates missing objects.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import company, db
from app.errors import UserError
from app.imports import creating
from app.imports.records import TimeRecord
from app.imports.summary import ImportOptions, ImportSummary
from app.models import Client, Project, ProjectMember, Task, User


class NotFoundInTrackerBox(Exception):
    """A name in the file that matches no TrackerBox object; the message names the fix."""


def fold(text: str) -> str:
    return text.strip().casefold()


class Directory:
    def __init__(self, actor: User, options: ImportOptions, summary: ImportSummary):
        self.actor = actor
        self.options = options
        self.summary = summary
        self.users = list(db.session.scalars(select(User)))
        self.clients = {fold(c.name): c for c in db.session.scalars(select(Client))}
        projects = list(db.session.scalars(select(Project).options(selectinload(Project.tasks), selectinload(Project.client))))
        self.projects_by_code = {fold(p.code): p for p in projects}
        self.projects_by_name: dict[str, list[Project]] = defaultdict(list)
        for project in projects:
            self.projects_by_name[fold(project.name)].append(project)
        self.tasks = {(t.project_id, fold(t.name)): t for p in projects for t in p.tasks}
        self.members = {(row.project_id, row.user_id) for row in db.session.execute(
            select(ProjectMember.project_id, ProjectMember.user_id))}
        self.people_cache: dict[str, User] = {}
        self.user_map = {fold(k): self._mapped_user(k, v) for k, v in options.user_map.items()}
        self.project_map = {fold(k): self._mapped_project(k, v) for k, v in options.project_map.items()}

    # Mappings chosen by the person doing the import must name real objects.
    def _mapped_user(self, name: str, login: str) -> User:
        user = next((u for u in self.users if u.login == fold(login)), None)
        if user is None:
            raise UserError(f"the mapping {name}={login} names no user with login {login!r}; "
                            "`trackerbox user list` shows the logins", field="user_map")
        return user

    def _mapped_project(self, name: str, code: str) -> Project:
        project = self.projects_by_code.get(fold(code))
        if project is None:
            raise UserError(f"the mapping {name}={code} names no project with code {code!r}", field="project_map")
        return project

    # People
    def person(self, record: TimeRecord) -> User:
        key = fold(record.person_email or record.person_name)
        if key not in self.people_cache:
            self.people_cache[key] = self._find_person(record)
        return self.people_cache[key]

    def _find_person(self, record: TimeRecord) -> User:
        for name in (record.person_email, record.person_name):
            if name and fold(name) in self.user_map:
                return self.user_map[fold(name)]
        email, name = fold(record.person_email), fold(record.person_name)
        by_email = [u for u in self.users if email and fold(u.email) == email]
        by_login = [u for u in self.users if u.login in {email, name} - {""}]
        by_name = [u for u in self.users if name and fold(u.name) == name]
        for matches in (by_email, by_login, by_name):
            if len(matches) == 1:
                return matches[0]
        label = record.person_name or record.person_email
        if self.options.create_missing:
            user = creating.create_person(record.person_name, record.person_email, self.options.timezone)
            self.users.append(user)
            self.summary.people_created.append({"login": user.login, "name": user.name, "email": user.email})
            return user
        if label not in self.summary.unknown_people:
            self.summary.unknown_people.append(label)
        shown = f"{record.person_name} ({record.person_email})" if record.person_name and record.person_email else label
        raise NotFoundInTrackerBox(f"person {shown!r} is not a TrackerBox user; map the name to a login or "
                                   "create missing people")

    # Projects and clients
    def project(self, record: TimeRecord) -> Project:
        name = record.project or record.project_code
        if not name:
            return self.default_project()
        for key in (record.project, record.project_code):
            if key and fold(key) in self.project_map:
                return self.project_map[fold(key)]
        found = self._find_project(record.project, record.project_code, record.client)
        if found is not None:
            return found
        if self.options.create_missing:
            client = self.client_named(record.client) if record.client else self.no_client()
            return self.new_project(client, record.project or record.project_code, record.project_code)
        if name not in self.summary.unknown_projects:
            self.summary.unknown_projects.append(name)
        of_client = f" of client {record.client!r}" if record.client else ""
        raise NotFoundInTrackerBox(f"project {name!r}{of_client} is not in TrackerBox; map it to a project code or "
                                   "create missing projects")

    def _find_project(self, name: str, code: str, client_name: str) -> Project | None:
        if code and fold(code) in self.projects_by_code:
            return self.projects_by_code[fold(code)]
        candidates = self.projects_by_name.get(fold(name), []) if name else []
        if client_name:
            candidates = [p for p in candidates if fold(p.client.name) == fold(client_name)]
        if len(candidates) == 1:
            return candidates[0]
        if len(candidates) > 1:
            codes = ", ".join(sorted(p.code for p in candidates))
            raise NotFoundInTrackerBox(f"project name {name!r} fits several projects ({codes}); map it to one code")
        if name and fold(name) in self.projects_by_code:
            return self.projects_by_code[fold(name)]
        return None

    def default_project(self) -> Project:
        requested = self.options.default_project.strip()
        if not requested:
            raise NotFoundInTrackerBox("the row names no project; choose a default project for rows without one")
        found = self.projects_by_code.get(fold(requested))
        named = self.projects_by_name.get(fold(requested), [])
        if found is None and len(named) == 1:
            found = named[0]
        if found is not None:
            return found
        if self.options.create_missing:
            return self.new_project(self.no_client(), requested, requested)
        raise NotFoundInTrackerBox(f"the default project {requested!r} is not in TrackerBox; give an existing project "
                                   "code or create missing projects")

    def new_project(self, client: Client, name: str, requested_code: str = "", *, archived: bool = False) -> Project:
        project = creating.add_project(self.actor, client, name, creating.project_code_for(name, requested_code),
                                       archived=archived)
        self.projects_by_code[fold(project.code)] = project
        self.projects_by_name[fold(project.name)].append(project)
        self.summary.projects_created += 1
        self.summary.created_projects.append({"code": project.code, "name": project.name, "client": client.name})
        return project

    def client_named(self, name: str) -> Client:
        """Return the client called ``name``, creating it with the company currency when missing."""
        client = self.clients.get(fold(name))
        if client is None:
            client = self.new_client(name, currency=company.get("default_currency"))
        return client

    def no_client(self) -> Client:
        return self.client_named(creating.NO_CLIENT_NAME)

    def new_client(self, name: str, **fields) -> Client:
        client = creating.add_client(name, **fields)
        self.clients[fold(client.name)] = client
        self.summary.clients_created += 1
        self.summary.created_clients.append({"name": client.name, "currency": client.currency})
        return client

    # Tasks and memberships
    def task(self, project: Project, name: str) -> Task | None:
        if not name:
            return None
        task = self.tasks.get((project.id, fold(name)))
        if task is not None:
            return task
        if not self.options.create_missing:
            raise NotFoundInTrackerBox(f"task {name!r} is not a task of project {project.code}; add it to the "
                                       "project or create missing tasks")
        task = creating.add_project_task(self.actor, project, name)
        self.tasks[(project.id, fold(name))] = task
        self.summary.tasks_created += 1
        return task

    def ensure_member(self, project: Project, user: User) -> None:
        if (project.id, user.id) in self.members or project.manager_id == user.id:
            return
        creating.add_project_member(self.actor, project, user)
        self.members.add((project.id, user.id))
