"""Where things are, for tests that read the repository's files."""

from pathlib import Path

#: The repository's root folder.
ROOT = Path(__file__).resolve().parent.parent
