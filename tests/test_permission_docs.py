import importlib.util
from pathlib import Path

from app.security.permissions import BUILTIN_PROFILES, permission_matrix_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_permission_docs_match_code():
    text = (ROOT / "docs" / "permissions.md").read_text()
    table = text.split("<!-- matrix:start -->\n", 1)[1].split("<!-- matrix:end -->", 1)[0]
    assert table.strip() == permission_matrix_markdown().strip()


def test_builtin_profiles_match_seed_migration():
    path = ROOT / "app" / "migrations" / "versions" / "0002_builtin_data.py"
    spec = importlib.util.spec_from_file_location("seed_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seeded = {name: sorted(perms) for name, (_, perms) in module.PROFILES.items()}
    in_code = {name: sorted(p.value for p in perms) for name, (_, perms) in BUILTIN_PROFILES.items()}
    assert seeded == in_code
