"""Sphinx configuration of the helpdesk_tickets documentation.

Build: ``sphinx-build -W -b html docs docs/_build/html`` (warnings are errors).

The pages are plain reStructuredText: nothing here imports Django, so the
docs build without a settings module or a database.

Intersphinx links to the Django and DRF docs are off by default, because
fetching their inventories needs the network and a failed fetch is a warning
(an error under ``-W``). Set ``HELPDESK_DOCS_INTERSPHINX=1`` to turn them on
where the network is available.
"""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

project = "django-helpdesk-tickets"
author = "helpdesk_tickets contributors"
copyright = "helpdesk_tickets contributors"
# The version lives in the package; read it without importing Django.
release = re.search(
    r'^__version__ = "([^"]+)"', (ROOT / "helpdesk_tickets" / "__init__.py").read_text(), re.MULTILINE
).group(1)
version = ".".join(release.split(".")[:2])

extensions = []
if os.environ.get("HELPDESK_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "django": (
            "https://docs.djangoproject.com/en/stable/",
            "https://docs.djangoproject.com/en/stable/_objects/",
        ),
    }
    intersphinx_timeout = 10

root_doc = "index"
exclude_patterns = ["_build"]
templates_path = []
language = "en"
pygments_style = "sphinx"
highlight_language = "python"

html_theme = "alabaster"
html_title = f"django-helpdesk-tickets {release}"
html_static_path = []
html_theme_options = {
    "description": "Customer-support tickets for any Django site",
    "fixed_sidebar": True,
}
