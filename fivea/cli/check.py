"""``fivea check``: evaluate ``checks:`` thresholds for CI; exit 1 when one fails."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fivea.cli import app
from fivea.cli.options import ConfigOpt, DebugOpt, Events, OutputOpt, PresetOpt, QuietOpt, flag
from fivea.cli.progress import progress
from fivea.cli.reporting import emit_rich, load, prepare_outputs, print_payload, write_outputs
from fivea.cli.run_flags import check_flags, run_flags
from fivea.errors import ConfigError, ExitCode, FiveaError, UsageError
from fivea.options import DriversChoice, Options


class CheckFormat(StrEnum):
    """The formats of ``fivea check`` (docs/checks.md)."""

    TABLE = "table"
    JSON = "json"
    JUNIT = "junit"
    GITHUB = "github"
    MARKDOWN = "markdown"
    CSV = "csv"


CHECK_FORMATS = tuple(CheckFormat)


def _render(
    fmt: str, results, verdict: str | None, code: int, config_path: str | None, strict: bool
) -> str:
    from fivea.render import checks as render

    if fmt == "json":
        return render.render_checks_json(results, verdict, code)
    if fmt == "junit":
        return render.render_junit(results, config_path, strict)
    if fmt == "github":
        return render.render_github(results, config_path, strict)
    if fmt == "csv":
        return render.render_checks_csv(results)
    return render.render_checks_markdown(results, verdict)


@app.command(
    epilog="Example: fivea check events.parquet -c fivea.yaml --format junit -o checks.xml"
)
@run_flags(without=("trend", "drivers"))
def check(
    events: Events,
    config: ConfigOpt = None,
    preset: PresetOpt = None,
    fmt: Annotated[
        CheckFormat | None,
        flag(
            "--format",
            "-f",
            help="table (default), json, junit, github, markdown or csv.",
            metavar="FORMAT",
        ),
    ] = None,
    output: OutputOpt = None,
    *,
    options: Options,
    only: Annotated[
        list[str] | None,
        flag("--only", help="Run only the check with this id (repeatable).", metavar="ID"),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="A warning fails too (exit 1).")] = False,
    exit_zero: Annotated[
        bool,
        typer.Option("--exit-zero", help="Report failures but exit 0 (errors still exit 2 or 3)."),
    ] = False,
    step_summary: Annotated[
        bool,
        typer.Option("--step-summary", help="Append a markdown summary to $GITHUB_STEP_SUMMARY."),
    ] = False,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Evaluate the config's checks against event logs; exit 1 if any check fails."""
    wanted = CheckOptions(
        fmt=fmt,
        outputs=list(output or []),
        only=list(only or []),
        strict=strict,
        exit_zero=exit_zero,
        step_summary=step_summary,
        quiet=quiet,
    )
    junit_files = [o for o in wanted.outputs if o.lower().endswith(".xml")]
    as_of = options.as_of
    try:
        code = _check(events, (config, preset), options, wanted)
    except FiveaError as exc:
        _junit_error(junit_files, events, as_of, str(exc), "usage_error")
        raise
    except Exception as exc:
        _junit_error(junit_files, events, as_of, f"internal error: {exc}", "internal_error")
        raise
    raise typer.Exit(code)


def _junit_error(
    paths: list[str], events: list[str], as_of: str | None, message: str, kind: str
) -> None:
    """On exit 2 or 3 a JUnit output still says why, as one <error> case.

    The same rules as any output (docs/checks.md): never over an input, never over a folder;
    ``{as_of}`` becomes the ``--as-of`` date, or today's (UTC) when the run failed before it.
    """
    from datetime import UTC, datetime

    from fivea.io.output import expand_name, input_files, write_atomic
    from fivea.render.checks import render_junit_error

    date = (as_of or "")[:10]
    if len(date) != 10 or not date[:4].isdigit():
        date = datetime.now(UTC).date().isoformat()
    inputs = input_files(events)
    for path in paths:
        target = expand_name(path, date)
        if inputs.find(target) is not None:
            continue  # the run may have failed for exactly this reason
        try:
            write_atomic(target, render_junit_error(message, kind))
        except (FiveaError, OSError):
            continue  # the error itself is reported on stderr either way


@dataclass(frozen=True)
class CheckOptions:
    """The check-only flags."""

    fmt: str | None
    outputs: list[str]
    only: list[str]
    strict: bool
    exit_zero: bool
    step_summary: bool
    quiet: bool


def _check(
    events: list[str],
    config: tuple[Path | None, str | None],
    options: Options,
    wanted: CheckOptions,
) -> int:
    from fivea.api import diagnose
    from fivea.diagnosis.checks import evaluate, exit_status, validate_checks

    fmt, strict, only = wanted.fmt, wanted.strict, wanted.only
    check_flags(options)
    pairs = prepare_outputs(wanted.outputs, events, fmt, CHECK_FORMATS)
    if wanted.step_summary:
        _step_summary_path()  # before the scan, like the --output checks
    loaded = load(*config)
    origin = loaded.source.path or f"preset {loaded.source.preset}"
    checks = loaded.config.checks
    lines = loaded.check_lines
    if only:
        keep = [i for i, c in enumerate(checks) if c.id in set(only)]
        if not keep:
            known = ", ".join(c.id for c in checks if c.id) or "none have an id"
            msg = f"--only {', '.join(only)}: no check has this id (ids: {known})"
            raise ConfigError(msg)
        checks = [checks[i] for i in keep]
        lines = tuple(lines[i] for i in keep)
    if not checks:
        msg = (
            f"{origin}: no checks to run; add a `checks:` list to the config "
            '(see docs/checks.md), e.g. - {metric: par, fail: "< 0.02"}'
        )
        raise ConfigError(msg)
    config_obj = loaded.config.model_copy(update={"checks": checks})
    validate_checks(config_obj, lines, origin)
    needs_compare = any(c.metric.startswith(("change.", "delta.")) for c in checks)
    if needs_compare and options.compare is None and options.baseline is None:
        msg = (
            f"{origin}: change.* and delta.* checks need --compare previous (and --since) or "
            "--baseline REPORT.json"
        )
        raise UsageError(msg)
    # the segments the checks name are computed too (after the --segment ones)
    named = [next(iter(c.segment)) for c in checks if c.segment]
    options = dataclasses.replace(  # no check reads drivers: phase 1 keeps nothing for them
        options,
        segments=tuple(dict.fromkeys([*options.segments, *named])),
        drivers=DriversChoice.NONE,
    )
    with progress("reading events…", wanted.quiet) as update:
        result = diagnose(events, loaded, options=options, on_progress=update)
    results = evaluate(config_obj, result, lines)
    code = exit_status(results, strict)
    verdict = result.verdict.status if result.verdict else None
    config_path = loaded.source.path

    def render(out_format: str) -> str:
        if out_format == "table":
            return _render("markdown", results, verdict, code, config_path, strict)
        return _render(out_format, results, verdict, code, config_path, strict)

    write_outputs(pairs, result.window.as_of, render)
    if wanted.step_summary:
        _append_step_summary(_render("markdown", results, verdict, code, config_path, strict))
    if not pairs or fmt is not None:
        if (fmt or "table") == "table":
            from fivea.render.table_checks import render_check_table

            emit_rich(lambda console: render_check_table(results, verdict, console))
        else:
            print_payload(render(fmt or "table"))
    return ExitCode.OK if wanted.exit_zero else code


def _step_summary_path() -> str:
    """$GITHUB_STEP_SUMMARY, checked before the scan: set, and not a folder."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        msg = "--step-summary: $GITHUB_STEP_SUMMARY is not set (it is set inside GitHub Actions)"
        raise UsageError(msg)
    if os.path.isdir(path):
        msg = f"--step-summary: $GITHUB_STEP_SUMMARY ({path}) is a folder; point it at a file"
        raise UsageError(msg)
    return path


def _append_step_summary(text: str) -> None:
    """Append (never overwrite): other steps share $GITHUB_STEP_SUMMARY."""
    from fivea.io.output import write_error

    path = _step_summary_path()
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as exc:
        where = "--step-summary: $GITHUB_STEP_SUMMARY"
        raise write_error(where, path, exc) from exc
