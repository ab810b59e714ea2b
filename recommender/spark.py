"""One place that builds the SparkSession, so every caller gets the same settings.

`build_spark_session` takes everything explicitly (tests, benchmarks); `get_spark` reads Django settings. The
same code runs against `local[*]` or a cluster URL: only local masters get the loopback-only network settings.
"""

from __future__ import annotations

from pyspark.sql import SparkSession


def build_spark_session(
    *,
    master: str,
    app_name: str = "moviesite",
    shuffle_partitions: int = 8,
    driver_memory: str = "2g",
) -> SparkSession:
    """Return the SparkSession for `master`, creating it if needed.

    `driver_memory` only takes effect when this call starts the JVM; an existing session is reused as is
    (runtime SQL settings such as the shuffle partitions are still applied to it).
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
    )
