import importlib.util
from pathlib import Path

from app.security.permissions import BUILTIN_PROFILES, permission_matrix_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_permission_docs_match_code():
    text = (ROOT / "docs" / "permissions.md").read_text()
    table = text.split("<!-- matrix:start -->\n", 1)[1].split("<!-- matrix:end -->", 1)[0]
    assert table.strip() == permission_matrix_markdown().strip()


def _load_migration(path: Path):
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builtin_profiles_match_seed_migration():
    """The seed of revision 0002 plus what later revisions add (BUILTIN_PERMISSIONS_ADDED) equals the code."""
    versions = ROOT / "app" / "migrations" / "versions"
    seed = _load_migration(versions / "0002_builtin_data.py")
    seeded = {name: set(perms) for name, (_, perms) in seed.PROFILES.items()}
    for path in sorted(versions.glob("*.py")):
        for name, added in getattr(_load_migration(path), "BUILTIN_PERMISSIONS_ADDED", {}).items():
            seeded[name] |= set(added)
    seeded = {name: sorted(perms) for name, perms in seeded.items()}
    in_code = {name: sorted(p.value for p in perms) for name, (_, perms) in BUILTIN_PROFILES.items()}
    assert seeded == in_code
