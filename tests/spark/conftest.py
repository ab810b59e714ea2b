"""One local Spark session for every Spark test (starting a JVM costs seconds)."""

import logging
import shutil

import pytest

from recommender.spark import build_spark_session


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Spark tests need Java 17 on PATH")
    session = build_spark_session(
        master="local[2]", app_name="moviesite-tests", shuffle_partitions=2, driver_memory="1g"
    )
    yield session
    session.stop()
    logging.getLogger("py4j").setLevel(logging.WARNING)  # no "closing connection" lines into closed streams
