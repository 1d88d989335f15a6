"""OS integration of the TrackerBox appliance: the nginx site, the nftables firewall and their templates."""
from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


def render_template(name: str, **context) -> str:
    """Render one of the appliance's text templates (nginx, nftables) with strict undefined names."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                                     autoescape=False)
    return environment.get_template(name).render(**context)
