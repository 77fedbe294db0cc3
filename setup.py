"""Maps the design card's top-level folders into the ``tooltrail`` namespace, and compiles
the per-event modules of the producer and the stream processors with mypyc when a wheel is
built.

Metadata lives in pyproject.toml; this file only computes the package list, because
setuptools' declarative ``packages.find`` cannot discover subpackages under several roots.

Compilation (the approach black and mypy ship with): the modules in ``COMPILED`` are plain,
type-checked Python that mypyc turns into C extensions: about half the CPU per record in a
processors worker, and 13% less per event in the producer's disk mode. The ``.py`` files
ship beside the extensions, so the code reads the same either way. Nothing is compiled for
an editable install (an extension beside its source would hide edits to it), with
``TOOLTRAIL_PURE=1``, or when mypyc or a C compiler is missing: the package is then pure
Python and behaves the same, only slower.

Two extensions are C written by hand (``HAND_WRITTEN``), built with the rest: disk mode's
canonical-JSON-to-Avro transcoder, ``producer/_transcode.c`` (see ``producer/transcode.py``),
and the caller's per-event hashing and spool record writes, ``producer/_percall.c`` (see
``producer/percall.py``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from setuptools import Extension, find_namespace_packages, setup
from setuptools.command.build_ext import build_ext

ROOTS = {
    "tooltrail": "core",
    "tooltrail.producer": "producer",
    "tooltrail.schemas": "schemas",
    "tooltrail.stream_processors": "stream_processors",
    "tooltrail.sinks": "sinks",
}

# Per-record code: the stream processors' chain verification, enrichment, detection and batch
# pipeline; the producer's capture path, event building, redaction, sealing and spool. Not
# here: modules mypyc refuses (async generators, break inside try/finally) or whose classes
# interpreted ones subclass (delivery.py, feed.py: KafkaPublisher).
COMPILED = [
    "schemas/_readers.py",
    "schemas/avro_reader.py",
    "schemas/framing.py",
    "producer/_writers.py",
    "producer/avro_fast.py",
    "producer/capture.py",
    "producer/chain.py",
    "producer/emitter.py",
    "producer/events.py",
    "producer/feedloops.py",
    "producer/payload.py",
    "producer/policy.py",
    "producer/redaction.py",
    "producer/segment.py",
    "producer/spool.py",
    "producer/uuid7.py",
    "producer/verify.py",
    "stream_processors/events.py",
    "stream_processors/timeutil.py",
    "stream_processors/enrich/catalog.py",
    "stream_processors/enrich/enricher.py",
    "stream_processors/enrich/extract.py",
    "stream_processors/detection/alerts.py",
    "stream_processors/detection/conditions.py",
    "stream_processors/detection/engine.py",
    "stream_processors/detection/fields.py",
    "stream_processors/detection/literals.py",
    "stream_processors/detection/matcher.py",
    "stream_processors/detection/matchers.py",
    "stream_processors/detection/plan.py",
    "stream_processors/detection/sequence.py",
    "stream_processors/detection/windows.py",
    "stream_processors/workers/pipeline.py",
    "stream_processors/workers/runtime.py",
]
# C written by hand (not mypyc's): disk mode's JSON-to-Avro transcoder and the caller's
# per-event hashing and spool record writes (producer/transcode.py and producer/percall.py
# work without them, slower).
HAND_WRITTEN = [
    Extension(
        "tooltrail.producer._transcode",
        ["producer/_transcode.c"],
        extra_compile_args=["-O2"],
    ),
    Extension(
        "tooltrail.producer._percall",
        ["producer/_percall.c"],
        extra_compile_args=["-O2"],
        libraries=["dl"],
    ),
]
STAGE = Path("build/mypyc-src")  # the sources laid out under their import names

packages: list[str] = []
for name, folder in ROOTS.items():
    packages.append(name)
    # Namespace discovery also lists data folders (schemas/avro, rule packs) as packages, as
    # setuptools asks, so their files ship as package data.
    subs = find_namespace_packages(folder, exclude=["*__pycache__*"])
    packages.extend(f"{name}.{sub}" for sub in subs)


def _staged(path: str) -> Path:
    """Where a source file lands in the staged tree (its module path under tooltrail/)."""
    folder, _, rest = path.partition("/")
    package = next(name for name, root in ROOTS.items() if root == folder)
    return STAGE.joinpath(*package.split("."), rest)


def _compiled_extensions() -> list[Any]:
    """mypyc's extensions for ``COMPILED``, or none (pure Python) when they cannot be built."""
    building_wheel = any(cmd in sys.argv for cmd in ("bdist_wheel", "build_ext", "build"))
    if not building_wheel or "editable_wheel" in sys.argv or os.environ.get("TOOLTRAIL_PURE"):
        return []
    try:
        from mypyc.build import mypycify  # noqa: PLC0415 (a build requirement, not always present)
    except ImportError:
        print("tooltrail: mypyc not available, building pure Python", file=sys.stderr)
        return []
    # mypy names a module after its path: stage the sources under tooltrail/ so the compiled
    # modules carry their import names.
    shutil.rmtree(STAGE, ignore_errors=True)
    for name, folder in ROOTS.items():
        shutil.copytree(
            folder,
            STAGE.joinpath(*name.split(".")),
            ignore=shutil.ignore_patterns("__pycache__", "*.so"),
            dirs_exist_ok=True,
        )
    config = STAGE / "mypyc.ini"
    # Other modules are read for their types only; third-party packages may be absent from
    # the isolated build environment (their values are then treated as Any).
    config.write_text("[mypy]\nignore_missing_imports = True\nfollow_imports = silent\n")
    try:
        compiled = list(
            mypycify(
                ["--config-file", str(config), *map(str, map(_staged, COMPILED))],
                group_name="tooltrail",
            )
        )
    except BaseException as exc:  # mypy reports type errors by exiting
        print(f"tooltrail: mypyc failed ({exc!r}), building pure Python", file=sys.stderr)
        return []
    return [*compiled, *HAND_WRITTEN]


class OptionalBuildExt(build_ext):  # type: ignore[misc]
    """Builds the compiled modules, or none of them when the C compiler fails."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            print(f"tooltrail: C build failed ({exc}), building pure Python", file=sys.stderr)
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            self.extensions = []


setup(
    packages=packages,
    package_dir=ROOTS,
    ext_modules=_compiled_extensions(),
    cmdclass={"build_ext": OptionalBuildExt},
)
