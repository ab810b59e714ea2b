"""One local Spark session for every test in tests/spark (starting a JVM costs seconds), stopped when the last of
them is done, so that no session outlives the package (tests/cluster needs none running)."""

import logging
import shutil

import pytest

from recommender.spark import build_spark_session


@pytest.fixture(scope="package")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Spark tests need Java 17 on PATH")
    session = build_spark_session(
        master="local[2]", app_name="moviesite-tests", shuffle_partitions=2, driver_memory="1g"
    )
    yield session
    session.stop()
    logging.getLogger("py4j").setLevel(logging.WARNING)  # no "closing connection" lines into closed streams
