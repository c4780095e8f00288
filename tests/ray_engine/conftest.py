"""A real local Ray instance for the ``--engine ray`` tests: two worker CPUs, a small
object store, no dashboard; shut down when the session ends."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest

ray = pytest.importorskip("ray")

#: The object store of the test instance (Ray's floor is about 75 MB).
OBJECT_STORE_BYTES = 200 * 1024**2


@pytest.fixture(scope="session")
def ray_instance() -> Iterator[None]:
    """Ray started in this process; the engine joins it instead of starting its own."""
    import cloudpickle

    from tests.ray_engine import stages

    # Workers cannot import the tests package: its stage classes travel by value.
    cloudpickle.register_pickle_by_value(stages)
    # A short folder of our own: Ray's socket paths must stay under 108 characters.
    temp_dir = tempfile.mkdtemp(prefix="ray17-", dir="/tmp")
    ray.init(
        num_cpus=2,
        object_store_memory=OBJECT_STORE_BYTES,
        include_dashboard=False,
        _temp_dir=temp_dir,
        logging_level="WARNING",
    )
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp_dir, ignore_errors=True)
