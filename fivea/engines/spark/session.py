"""Starting Spark for fivea: what is missing (pyspark, Java, a master) as one line, and quiet.

A local Spark's JVM writes its start-up chatter (JDK warnings, log4j's banner, WARN lines about
the host name or native Hadoop) straight to file descriptor 2, before any log level can be set.
The JVM is therefore started with its stderr going to a log file (``SPARK_LOG``), and the log
level is set to ERROR once the session exists: a successful run prints nothing on stderr.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fivea.errors import FiveaError

__all__ = ["SPARK_LOG", "SparkUnavailableError", "spark_session"]

_INSTALL = 'pip install "fivea[spark]"'
#: where the JVM of a Spark session started by fivea writes its own stderr
SPARK_LOG = Path(tempfile.gettempdir()) / f"fivea-spark-{os.getuid()}.log"
_CONNECT_TIMEOUT_S = 5.0


class SparkUnavailableError(FiveaError):
    """pyspark, a Java runtime or the Spark master is missing: one line saying what to do."""


def require_pyspark() -> Any:
    """The pyspark module, or a one-line error saying how to install it."""
    try:
        import pyspark
        from pyspark.sql import SparkSession  # noqa: F401
    except ImportError as exc:
        msg = f"--engine spark needs pyspark with pyarrow and pandas: {_INSTALL}"
        raise SparkUnavailableError(msg) from exc
    return pyspark


def require_java() -> None:
    """A Java runtime for a local Spark (JAVA_HOME or ``java`` on the PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return
    if home:
        msg = (
            f"--engine spark: JAVA_HOME={home} holds no bin/java; point it at a Java 17+ "
            "runtime or unset it"
        )
        raise SparkUnavailableError(msg)
    if shutil.which("java"):
        return
    msg = (
        "--engine spark needs a Java runtime (17 or newer) for a local Spark: install one "
        "(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME, "
        "or use --spark-remote sc://host:port"
    )
    raise SparkUnavailableError(msg)


_HOST_PORT = re.compile(r"^(?:spark|sc)://([^/:]+|\[[^\]]+\]):(\d+)")


def require_reachable(url: str) -> None:
    """A standalone master (``spark://h:p``, also ``h1:p1,h2:p2``) or a Connect server answers.

    Spark itself would retry for about a minute and then fail in a background thread; one TCP
    connection says the same at once.
    """
    if not url.startswith(("spark://", "sc://")):
        return  # local[*], yarn, k8s://...: Spark reports those itself
    scheme, rest = url.split("://", 1)
    hosts = rest.split("/", 1)[0].split(";", 1)[0].split(",")
    errors = []
    for host_port in hosts:
        match = _HOST_PORT.match(f"{scheme}://{host_port}")
        if match is None:
            continue
        host, port = match.group(1).strip("[]"), int(match.group(2))
        try:
            with socket.create_connection((host, port), timeout=_CONNECT_TIMEOUT_S):
                return
        except OSError as exc:
            errors.append(f"{host}:{port} ({exc.strerror or exc})")
    if not errors:
        return
    flag = "--spark-remote" if scheme == "sc" else "--spark-master"
    msg = (
        f"{flag} {url}: cannot reach {', '.join(errors)}; check that the "
        f"{'Spark Connect server' if scheme == 'sc' else 'Spark master'} is running and the "
        "host and port are right"
    )
    raise SparkUnavailableError(msg)


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Point file descriptor 2 at ``path`` while a child process (the JVM) inherits it."""
    sys.stderr.flush()
    saved = os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.dup2(target, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(target)


def _last_log_line() -> str:
    try:
        lines = [line.strip() for line in SPARK_LOG.read_text(errors="replace").splitlines()]
    except OSError:
        return ""
    useful = [line for line in lines if line and not line.startswith(("at ", "WARNING:"))]
    return useful[-1][:300] if useful else ""


def spark_session(master: str | None = None, remote: str | None = None) -> Any:
    """The active SparkSession, or a new one on ``master`` (default ``local[*]``) or ``remote``.

    Times cross the Arrow boundary in UTC: the session time zone is set to UTC. The user's own
    Spark configuration (``spark-defaults.conf`` in ``SPARK_CONF_DIR``, ``PYSPARK_SUBMIT_ARGS``)
    applies to a new session as to any pyspark program.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    if remote is None:
        active = SparkSession.getActiveSession()
        if active is not None and master is None:
            active.conf.set("spark.sql.session.timeZone", "UTC")
            return active
        require_java()
        if master:
            require_reachable(master)
        # local workers run this interpreter (and so this fivea and polars)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = (
            SparkSession.builder.master(master or "local[*]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
        )
    else:
        require_reachable(remote)
        builder = SparkSession.builder.remote(remote)
    builder = builder.appName("fivea").config("spark.sql.session.timeZone", "UTC")
    try:
        with _stderr_to(SPARK_LOG):
            session = builder.getOrCreate()
    except Exception as exc:
        detail = _last_log_line() or str(exc).strip().splitlines()[0]
        msg = f"--engine spark: Spark did not start ({detail}); its log: {SPARK_LOG}"
        raise SparkUnavailableError(msg) from exc
    session.conf.set("spark.sql.session.timeZone", "UTC")
    with contextlib.suppress(Exception):  # Spark Connect has no SparkContext
        session.sparkContext.setLogLevel("ERROR")
    return session
