"""One place that builds the SparkSession, so every caller gets the same settings.

`build_spark_session` takes everything explicitly (tests, benchmarks); `get_spark` reads Django settings and
`spark_session` scopes a session to one pipeline stage. The same code runs against `local[*]` or a cluster URL
(`spark://host:7077`): only local masters get the loopback-only bind address; any other master gets the driver
host its executors call back to, and the bounded share of the cluster the app may take (`spark.cores.max`,
executor cores and memory), so that one app never holds every core of a standalone cluster.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from pyspark import SparkContext
from pyspark.sql import SparkSession


def build_spark_session(
    *,
    master: str,
    app_name: str = "moviesite",
    shuffle_partitions: int = 8,
    driver_memory: str = "2g",
    driver_host: str = "127.0.0.1",
    cores_max: int | None = None,
    executor_cores: int | None = None,
    executor_memory: str | None = None,
) -> SparkSession:
    """Return the SparkSession for `master`, creating it if needed.

    `driver_memory` and the cluster settings only take effect when this call starts the application; an existing
    session is reused as is (runtime SQL settings such as the shuffle partitions are still applied to it).
    """
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
    )
    if master.startswith("local"):
        builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
    else:  # executors in other JVMs (other machines) connect back to the driver at this address
        builder = builder.config("spark.driver.host", driver_host)
        for key, value in (
            ("spark.cores.max", cores_max),
            ("spark.executor.cores", executor_cores),
            ("spark.executor.memory", executor_memory),
        ):
            if value:
                builder = builder.config(key, str(value))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def get_spark() -> SparkSession:
    """The SparkSession configured by Django settings (SPARK_MASTER and friends)."""
    from django.conf import settings

    return build_spark_session(
        master=settings.SPARK_MASTER,
        shuffle_partitions=settings.SPARK_SHUFFLE_PARTITIONS,
        driver_memory=settings.SPARK_DRIVER_MEMORY,
        driver_host=settings.SPARK_DRIVER_HOST,
        cores_max=settings.SPARK_CORES_MAX,
        executor_cores=settings.SPARK_EXECUTOR_CORES,
        executor_memory=settings.SPARK_EXECUTOR_MEMORY,
    )


@contextlib.contextmanager
def spark_session() -> Iterator[SparkSession]:
    """`get_spark()` for the length of a block; the session is stopped at the end if this block started it.

    A stage uses this so that its application gives its cores back to the cluster when the stage ends, instead
    of living as long as the training worker. A session that was already running (one a test suite shares) is
    used and left running: its owner stops it.
    """
    started_here = SparkContext._active_spark_context is None  # no public "is a context running" call
    spark = get_spark()
    try:
        yield spark
    finally:
        if started_here:
            spark.stop()
