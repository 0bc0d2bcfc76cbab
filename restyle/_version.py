"""The version of restyle, in one place (the package and pyproject.toml read it here)."""

__version__ = "0.1.0"
