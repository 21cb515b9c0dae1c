"""Spark's errors about the input as one line each (exit 2), with the fix.

Spark reports a missing path, a file system it has no connector for, a host it cannot resolve or
a file it may not read as long Java stack traces; these are user errors (``InputError``). An
error raised by fivea's own code inside a partition (a ``FiveaError`` in a Python worker)
arrives as a ``PythonException`` holding the worker's traceback: its message line is kept.
Anything else stays an internal error.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from fivea.errors import InputError

# scheme -> (Maven coordinates of the connector, what it is); the version must match Hadoop's
CONNECTORS = {
    "s3a": ("org.apache.hadoop:hadoop-aws", "the S3A connector"),
    "s3": ("org.apache.hadoop:hadoop-aws", "the S3A connector (use s3a:// URIs)"),
    "s3n": ("org.apache.hadoop:hadoop-aws", "the S3A connector (use s3a:// URIs)"),
    "abfs": ("org.apache.hadoop:hadoop-azure", "the ABFS connector"),
    "abfss": ("org.apache.hadoop:hadoop-azure", "the ABFS connector"),
    "wasbs": ("org.apache.hadoop:hadoop-azure", "the Azure connector"),
    "gs": ("com.google.cloud.bigdataoss:gcs-connector", "the Cloud Storage connector"),
}
_MISSING_FS = re.compile(
    r"No FileSystem for scheme \"?(\w+)\"?|ClassNotFoundException: Class (\S+FileSystem) not found"
)
_FS_CLASS_SCHEME = {
    "org.apache.hadoop.fs.s3a.S3AFileSystem": "s3a",
    "org.apache.hadoop.fs.azurebfs.SecureAzureBlobFileSystem": "abfss",
    "org.apache.hadoop.fs.azurebfs.AzureBlobFileSystem": "abfs",
    "org.apache.hadoop.fs.azure.NativeAzureFileSystem": "wasbs",
    "org.apache.hadoop.fs.gs.GoogleHadoopFileSystem": "gs",
    "com.google.cloud.hadoop.fs.gcs.GoogleHadoopFileSystem": "gs",
}
_FIVEA_ERROR = re.compile(r"fivea\.errors\.\w*Error: (.+)")
_PATH_NOT_FOUND = re.compile(r"Path does not exist: (\S+?)\.?(?: SQLSTATE|$)", re.MULTILINE)
_UNKNOWN_HOST = re.compile(r"UnknownHostException: (\S+)")
_DENIED = re.compile(r"AccessDenied|Permission denied|403 Forbidden|Status Code: 403")


def _hadoop_version(spark: Any) -> str:
    try:
        return str(spark.sparkContext._jvm.org.apache.hadoop.util.VersionInfo.getVersion())
    except Exception:
        return "<Hadoop version>"


def _missing_connector(scheme: str, uri: str, spark: Any) -> InputError:
    package, what = CONNECTORS.get(scheme, (None, f"a connector for {scheme}://"))
    if package is None:
        msg = f"{uri}: Spark has no file system for {scheme}://; add {what} to spark.jars.packages"
        return InputError(msg)
    version = _hadoop_version(spark) if package.startswith("org.apache.hadoop") else "<version>"
    coordinates = f"{package}:{version}"
    msg = (
        f"{uri}: Spark has no file system for {scheme}:// ({what} is missing); add "
        f"--packages {coordinates} to PYSPARK_SUBMIT_ARGS "
        f"(PYSPARK_SUBMIT_ARGS='--packages {coordinates} pyspark-shell') or set "
        f"spark.jars.packages {coordinates} in spark-defaults.conf"
    )
    return InputError(msg)


def explain(exc: BaseException, paths: list[str], spark: Any) -> InputError | None:
    """A one-line ``InputError`` for a Spark error about the input, else None."""
    text = str(exc)
    shown = paths[0] if len(paths) == 1 else ", ".join(paths[:3])
    fivea = _FIVEA_ERROR.search(text)
    if fivea is not None and type(exc).__name__ == "PythonException":
        return InputError(fivea.group(1).strip())
    missing = _MISSING_FS.search(text)
    if missing is not None:
        scheme = missing.group(1) or _FS_CLASS_SCHEME.get(missing.group(2), "")
        uri = next((p for p in paths if p.startswith(f"{scheme}:")), shown)
        return _missing_connector(scheme or "this", uri, spark)
    found = _PATH_NOT_FOUND.search(text)
    if found is not None:
        msg = f"{found.group(1)}: not found; check the path (globs and folders work too)"
        return InputError(msg)
    host = _UNKNOWN_HOST.search(text)
    if host is not None:
        msg = f"{shown}: unknown host {host.group(1)}; check the URI"
        return InputError(msg)
    if _DENIED.search(text):
        msg = f"{shown}: access denied; check the permissions or credentials for this path"
        return InputError(msg)
    return None


@contextlib.contextmanager
def spark_errors(paths: list[str], spark: Any) -> Iterator[None]:
    """Turn Spark's errors about ``paths`` into one-line ``InputError``s."""
    try:
        yield
    except Exception as exc:
        from fivea.errors import FiveaError

        if isinstance(exc, FiveaError):
            raise
        explained = explain(exc, paths, spark)
        if explained is None:
            raise
        raise explained from exc
