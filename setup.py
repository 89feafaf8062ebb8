"""Packaging glue that pyproject.toml cannot express: top-level static/ and templates/."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["portal", "portal.*", "consumers", "consumers.*"]),
        "portal._static",
        "portal._templates",
    ],
    package_dir={"portal._static": "static", "portal._templates": "templates"},
    package_data={
        "portal": [
            "migrations/*.ini",
            "migrations/*.mako",
            "translations/*/LC_MESSAGES/*.po",
            "py.typed",
            "demo_jobs.json",
        ],
        "portal._static": ["**/*"],
        "portal._templates": ["**/*"],
    },
)
