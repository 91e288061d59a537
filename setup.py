# Thin shim so that `python setup.py` tooling and old pip versions keep working;
# all metadata lives in pyproject.toml.
from setuptools import setup

setup()
