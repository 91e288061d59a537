"""The benchmark's own virtualenvs, made on first use under a cache folder and reused.

One per side: ``ours`` (this checkout, installed editable with the drivers
and tools the benchmark needs) and ``django-helpdesk`` (2.6.1 from PyPI,
with psycopg and gunicorn). Each lives in
``$HELPDESK_BENCH_CACHE`` (default ``~/.cache/helpdesk-bench``) under
``<side>-<hash>``, the hash taken over its requirement list (and, for ours,
``pyproject.toml``): a changed list makes a new virtualenv, an unchanged
one is reused as it is. A virtualenv is only used once its ``ready`` mark
is written, so an interrupted install starts again next time.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("HELPDESK_BENCH_CACHE", Path.home() / ".cache" / "helpdesk-bench"))

#: Beside the checkout's own dependencies: the database driver, the servers and the report's plots.
OURS = [
    "psycopg[binary]>=3.1",
    "gunicorn>=22",
    "dj-database-url>=2.1",
    "django-tasks-db>=0.12",
    "aiosmtpd>=1.4",
    "matplotlib>=3.8",
    # bench/webhooks.py's receiver checks every delivery's signature with the reference library.
    "standardwebhooks>=1.0",
    # The generated-client journey (scripts/client_journey.py), as tox's clients env pins it.
    "openapi-python-client==0.29.1",
]
HELPDESK = ["django-helpdesk==2.6.1", "psycopg[binary]>=3.1", "gunicorn>=22", "dj-database-url>=2.1"]


def _key(requirements, extra=b""):
    digest = hashlib.sha256("\n".join(requirements).encode() + extra)
    digest.update(sys.version.encode())
    return digest.hexdigest()[:12]


def _make(path, requirements, log):
    if path.exists():
        shutil.rmtree(path)
    started = time.monotonic()
    log(f"creating the virtualenv {path} (first run with these requirements)")
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    python = path / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements], check=True, cwd=ROOT)
    (path / "ready").write_text("\n".join(requirements) + "\n")
    log(f"{path.name} ready in {time.monotonic() - started:.0f} s")


def ensure(side, log=print):
    """The Python of ``side``'s virtualenv ("ours" or "django-helpdesk"), made if missing."""
    if side == "ours":
        requirements = ["-e", f"{ROOT}[example]", *OURS]
        key = _key(requirements, (ROOT / "pyproject.toml").read_bytes())
    else:
        requirements = list(HELPDESK)
        key = _key(requirements)
    path = CACHE / f"{side}-{key}"
    if not (path / "ready").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        _make(path, requirements, log)
    return str(path / "bin" / "python")
