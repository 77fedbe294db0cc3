"""Maps the design card's top-level folders into the ``tooltrail`` namespace.

Metadata lives in pyproject.toml; this file only computes the package list, because
setuptools' declarative ``packages.find`` cannot discover subpackages under several roots.
"""

from setuptools import find_namespace_packages, setup

ROOTS = {
    "tooltrail": "core",
    "tooltrail.producer": "producer",
    "tooltrail.schemas": "schemas",
    "tooltrail.stream_processors": "stream_processors",
    "tooltrail.sinks": "sinks",
}

packages: list[str] = []
for name, folder in ROOTS.items():
    packages.append(name)
    # Namespace discovery also lists data folders (schemas/avro, rule packs) as packages, as
    # setuptools asks, so their files ship as package data.
    subs = find_namespace_packages(folder, exclude=["*__pycache__*"])
    packages.extend(f"{name}.{sub}" for sub in subs)

setup(packages=packages, package_dir=ROOTS)
