"""Data quality (README.md#output-formats): rows read and dropped by reason, duplicates, time range, stitched
ids, events no rule recognises, stages nothing reached. Lazy frames collected with phase 1."""

from __future__ import annotations

import difflib

import polars as pl

from fivea.config.loader import STAGE_KEYS, LoadedConfig
from fivea.io.epoch_units import OTHER_UNIT, other_unit_frame, time_values
from fivea.io.events import DROP_REASONS, EVENT, TIME, EventScan, drop_reason
from fivea.person.drivers import NAME, name_hash
from fivea.result import Dropped, NameCount, Quality, ZeroHitStage
from fivea.rules.expressions import RuleSet
from fivea.rules.where import coercion_failures

_TOP_NAMES = 10
_ROW_SEED = 0xD15
_HASH = "__row_hash"
ROW_HASH = _HASH  # the row hash as a column of the events (the compiled kernel's duplicates)


def iso_or_none(micros: int | None) -> str | None:
    """µs -> ISO text (local import avoids a cycle with fivea.person.window)."""
    from fivea.person.window import iso

    return iso(micros)


def quality_frames(
    scan: EventScan, rules: RuleSet, events: pl.LazyFrame, event_frame: pl.LazyFrame
) -> dict[str, pl.LazyFrame]:
    """Lazy frames of every data-quality count; ``event_frame`` holds the window's events."""
    raw = scan.raw
    reason = drop_reason()
    frames = {
        "rows": raw.select(
            pl.len().alias("rows"),
            *[(reason == r).sum().alias(r) for r in DROP_REASONS],
            time_values(scan),
            *(
                [
                    pl.col("__dst_fold").filter(reason.is_null()).sum().alias("dst_fold"),
                    pl.col("__dst_gap").filter(reason.is_null()).sum().alias("dst_gap"),
                ]
                if "__dst_fold" in raw.collect_schema().names()
                else []
            ),
        ),
        "valid": scan.frame.select(
            pl.len().alias("rows_used"),
            pl.col(TIME).min().alias("time_min"),
            pl.col(TIME).max().alias("time_max"),
            *[
                e.alias(f"nonnum_{c}")
                for c, e in coercion_failures(rules.numeric_columns, scan.property_types).items()
            ],
        ),
        # with each name's hash, as the drivers tables of this process keep it
        # (fivea.aggregate.drivers.named_hashes)
        "events": event_frame.group_by(EVENT)
        .agg(pl.len().alias("events"), (~rules.any_match).sum().alias("unmatched"))
        .with_columns(name_hash(pl.col(EVENT)).alias(NAME)),
    }
    frames[OTHER_UNIT] = other_unit_frame(scan)
    frames["stage_matches"] = events.select(stage_match_counts(rules))
    frames["distinct"] = distinct_rows(raw.filter(reason.is_null()).select(scan.properties))
    if scan.stitching:
        frames["stitched"] = raw.filter(reason.is_null() & pl.col("__stitched")).select(
            pl.coalesce([pl.col(c).cast(pl.String) for c in scan.columns.user[1:]])
            .n_unique()
            .alias("stitched")
        )
    return frames


def row_hash(names: list[str]) -> pl.Expr:
    """A 64-bit hash of a row's values in ``names``: one seeded hash per column, summed.

    One horizontal sum (wrapping) rather than a chain of XORs: a chain nests one expression per
    column, and polars plans a nested chain in more than quadratic time (2,000 columns: 13 s
    before any row is read); the flat sum is linear in the columns.
    """
    return pl.sum_horizontal([pl.col(name).hash(_ROW_SEED + i) for i, name in enumerate(names)])


def distinct_rows(rows: pl.LazyFrame) -> pl.LazyFrame:
    """The number of distinct rows, exactly but cheaply (one column ``distinct``).

    Rows whose 64-bit hash no other row shares are distinct; only the few rows sharing a hash
    are compared in full. The row hash combines one seeded hash per column (hashing a struct
    of every column is several times slower), and shared hashes are found by sorting the
    hashes rather than a hash table over every row (10M rows: 4.5 s -> 1.2 s).
    """
    names = rows.collect_schema().names()
    hashed = rows.with_columns(row_hash(names).alias(_HASH))
    h = pl.col(_HASH)
    shared = (
        hashed.select(_HASH)
        .sort(_HASH)
        .filter(((h == h.shift(1)) | (h == h.shift(-1))).fill_null(False))
    )
    candidates = hashed.join(shared.unique(), on=_HASH, how="semi")
    parts = [
        hashed.select(pl.len().alias("rows")),
        shared.select(pl.len().alias("shared")),
        candidates.select(pl.struct(names).n_unique().alias("unique_shared")),
    ]
    total = pl.concat(parts, how="horizontal")
    return total.select(
        (pl.col("rows") - pl.col("shared") + pl.col("unique_shared")).alias("distinct")
    )


def zero_hit_stages(
    config: LoadedConfig, reached: dict[str, int], names: list[str]
) -> tuple[ZeroHitStage, ...]:
    """Stages nothing reached, with the closest event names in the data."""
    out = []
    for key, stage in config.config.stages.items():
        if reached[key]:
            continue
        wanted = [n for rule in stage.rules for n in (rule.event or ())]
        close: list[str] = []
        for name in wanted:
            for match in difflib.get_close_matches(name, names, n=2, cutoff=0.6):
                if match not in close:
                    close.append(match)
        out.append(ZeroHitStage(stage=key, did_you_mean=tuple(close[:3])))
    return tuple(out)


def stage_match_counts(rules: RuleSet) -> list[pl.Expr]:
    """Events matching each stage's rules; a stage with none is "not measured" (docs/metrics.md#diagnosis)."""
    out = []
    for bit, stage in enumerate(STAGE_KEYS):
        if bit == 0 and rules.aware_is_any_event:
            out.append(pl.len().alias(stage))
            continue
        hits = (rules.simple_mask & (1 << bit)) != 0
        if any(rule.bit == bit for rule in rules.counted):
            hits = hits | rules.counted_stage_match(bit)
        out.append(hits.sum().alias(stage))
    return out


def build_quality(
    q: dict[str, pl.DataFrame], loaded: LoadedConfig, reached: dict[str, int], persons: int
) -> Quality:
    """The Quality block from the collected frames."""
    rows = q["rows"].row(0, named=True)
    valid = q["valid"].row(0, named=True)
    event_counts = q["events"].sort(["events", EVENT], descending=[True, False])
    events_in_window = int(event_counts["events"].sum()) if event_counts.height else 0
    unmatched = event_counts.filter(pl.col("unmatched") > 0).sort(
        ["unmatched", EVENT], descending=[True, False]
    )
    unmatched_n = int(unmatched["unmatched"].sum()) if unmatched.height else 0
    dropped = tuple(Dropped(r, int(rows[r])) for r in DROP_REASONS if rows[r])
    dropped_rows = sum(d.rows for d in dropped)
    time_min, time_max = valid["time_min"], valid["time_max"]
    return Quality(
        rows_read=int(rows["rows"]),
        rows_used=int(valid["rows_used"]),
        dropped=dropped,
        duplicates=int(rows["rows"]) - dropped_rows - int(q["distinct"].item()),
        deduplicated=loaded.config.dedupe,
        time_min=iso_or_none(time_min),
        time_max=iso_or_none(time_max),
        span_seconds=(time_max - time_min) / 1e6,
        persons=persons,
        stitched_ids=int(q["stitched"].item()) if "stitched" in q else 0,
        events_in_window=events_in_window,
        unmatched_events=unmatched_n,
        unmatched_share=unmatched_n / events_in_window if events_in_window else None,
        unmatched_top=tuple(
            NameCount(str(n), int(c))
            for n, c in unmatched.select(EVENT, "unmatched").head(_TOP_NAMES).iter_rows()
        ),
        zero_hit_stages=zero_hit_stages(
            loaded, reached, [str(n) for n in event_counts[EVENT].head(1000)]
        ),
        non_numeric_values={
            k.removeprefix("nonnum_"): int(v)
            for k, v in valid.items()
            if k.startswith("nonnum_") and v
        },
        dst_ambiguous=int(rows.get("dst_fold") or 0),
        dst_gap=int(rows.get("dst_gap") or 0),
        dropped_share=dropped_rows / rows["rows"] if rows["rows"] else None,
    )
