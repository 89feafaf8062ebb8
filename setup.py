"""Packaging glue that pyproject.toml cannot express: top-level static/ and templates/.

Only ``portal`` goes into the wheel: the top-level consumers/ scripts are for a checkout (an
installed one runs ``portal consumer <name>``), and a generic top-level ``consumers`` package
in site-packages could collide with another distribution's.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["portal", "portal.*"]),
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
