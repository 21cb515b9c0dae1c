"""`fivea init`: starter configs that load as they are, with or without data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from fivea.authoring.starter import guess_stage, starter_config
from fivea.config.loader import Config, load_config, preset_names
from fivea.diagnosis.checks import validate_checks
from tests.conftest import ROOT, run_cli

SAMPLE = "sample_data/events.csv"
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
TOP_KEYS = set(Config.model_fields)


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def uncomment_examples(text: str, only: set[str] = TOP_KEYS) -> str:
    """Remove the ``# `` of every commented example block (a top-level key and its lines)."""
    out, inside = [], False
    for line in text.splitlines():
        key = re.match(r"^# ([a-z_]+):", line)
        if key and key.group(1) in only:
            inside = True
            out.append(line[2:])
        elif inside and line.startswith("#  "):
            out.append(line[2:])
        elif "columns" in only and re.match(r"^  # (time_unit|time_format):", line):
            out.append("  " + line[4:])
        else:
            inside = False
            out.append(line)
    return "\n".join(out) + "\n"


def load_text(tmp_path: Path, text: str, name: str = "fivea.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    loaded = load_config(path)
    validate_checks(loaded.config, loaded.check_lines, str(path))
    return loaded


ODD_NAMES = {
    "page_view": "known",
    "pricing_page": "appeal",
    "pricingPageViewed": "appeal",
    "Feature Tour Opened": "appeal",
    "plan_compare": "ask",
    "invite_teammate": "advocate",
    "Order Completed": "known",
    "ticket:open": "aware",
    "payment_failed": None,
    "cart_updated": None,
    "010": None,
    "true": None,
    "[summer] promo": None,
    'say "hi"': None,
}


@pytest.fixture
def odd_csv(tmp_path: Path) -> Path:
    """Event names that need quoting in YAML, guesses of every kind, and unassigned names."""
    names = list(ODD_NAMES)
    rows = [
        {
            "user_id": f"u{i % 7}",
            "timestamp": f"2025-03-{1 + i % 28:02d} 10:{i % 60:02d}:00",
            "event": names[i % len(names)],
            "revenue": str(i % 5),
        }
        for i in range(len(names) * 6)
    ]
    path = tmp_path / "odd.csv"
    pl.DataFrame(rows).write_csv(path)
    return path


# --- without data -----------------------------------------------------------------------------


def test_template_golden(golden) -> None:
    out = run_cli("init", "-o", "-")
    golden("init_template.yaml", out.stdout)
    assert out.stderr == ""
    assert "preset: 5a-default" in out.stdout


@pytest.mark.parametrize("preset", preset_names())
def test_template_of_every_preset_loads_as_is_and_uncommented(tmp_path: Path, preset: str) -> None:
    text = starter_config(preset)
    loaded = load_text(tmp_path, text)
    assert loaded.source.preset == preset
    # comments only: the preset itself
    assert loaded.config.model_dump(exclude={"preset"}) == load_config(
        None, preset
    ).config.model_dump(exclude={"preset"})
    full = load_text(tmp_path, uncomment_examples(text), "full.yaml")
    for section in ("columns", "time", "stages", "subfunnels", "funnel", "segments", "targets"):
        assert section in full.locations, section  # each example was really uncommented
    assert full.config.diagnosis.expected_archetype is not None
    assert [c.id for c in full.config.checks] == ["par-floor", "commitment", "unmapped-events"]
    rules = full.config.stages
    assert rules.ask.rules[0].event_matches
    assert rules.act.rules[0].where == "revenue > 0"
    assert rules.appeal.rules[1].min_count == 2
    assert rules.aware.rules[0].any_event


def test_template_shows_every_section() -> None:
    text = starter_config()
    for section in ("columns", "time", "stages", "subfunnels", "funnel", "segments", "targets"):
        assert f"# {section}:" in text
    for section in ("diagnosis", "checks", "input", "identity", "dedupe", "actions"):
        assert f"# {section}:" in text
    for kind in (
        "any_event: true",
        "event: [",
        "event_matches:",
        "where:",
        "min_count:",
        "within:",
    ):
        assert kind in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_writes_fivea_yaml_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("init")
    assert (tmp_path / "fivea.yaml").read_text(encoding="utf-8") == starter_config()
    assert result.stdout == ""
    assert result.stderr.startswith("wrote fivea.yaml (preset 5a-default; a commented template)")
    assert load_config(tmp_path / "fivea.yaml").source.preset == "5a-default"


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "fivea.yaml"
    path.write_text("# mine\n", encoding="utf-8")
    result = run_cli("init", "-o", str(path), code=2)
    assert result.stderr == (
        f"fivea: error: {path}: already exists; pass --force to overwrite it, "
        "or -o to write elsewhere\n"
    )
    assert path.read_text(encoding="utf-8") == "# mine\n"


def test_force_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "fivea.yaml"
    path.write_text("# mine\n", encoding="utf-8")
    run_cli("init", "--preset", "ecommerce", "-o", str(path), "--force", "-q")
    assert load_config(path).source.preset == "ecommerce"
    assert not list(tmp_path.glob(".fivea.yaml.*"))  # the atomic write left no temp file


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--preset", "ecomerce"], "unknown preset 'ecomerce'; did you mean 'ecommerce'?"),
        (["-o", "sample_data/events.csv", "sample_data/events.csv"], "already exists"),
        (["-o", "sample_data"], "is a folder"),
        (["-o", "missing/fivea.yaml"], "does not exist"),
        (["missing.csv", "-o", "-"], "missing.csv"),
    ],
)
def test_errors_are_one_line(args: list[str], message: str) -> None:
    result = run_cli("init", *args, code=2)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_an_input_is_never_overwritten(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("user_id,timestamp,event\nu1,2025-01-01,page_view\n", encoding="utf-8")
    result = run_cli("init", str(events), "-o", str(events), "--force", code=2)
    assert "is one of the input files" in result.stderr
    assert events.read_text(encoding="utf-8").startswith("user_id")


def test_help_has_an_example() -> None:
    assert "Example: fivea init events.csv" in run_cli("init", "--help").stdout


# --- with data --------------------------------------------------------------------------------


def test_sample_golden(golden) -> None:
    out = run_cli("init", SAMPLE, "-o", "-")
    golden("init_sample.yaml", out.stdout)
    text = out.stdout
    assert "columns:\n  user: user_id\n  time: event_time\n  event: event\n" in text
    assert "# Timestamps: ISO-8601 with Z (UTC), e.g. 2025-02-02T07:35:34.205510Z." in text
    assert "#   product_view (5,500 events): Appeal via preset\n" in text
    assert (
        "#   purchase (1,072 events): Advocate via preset (from the 2nd on, occasions split by"
        " a 1h gap)\n" in text
    )
    assert "#   add_to_cart (1,656 events): step 1 via preset\n" in text


def test_generated_file_validates_and_diagnoses(tmp_path: Path) -> None:
    path = tmp_path / "fivea.yaml"
    result = run_cli("init", SAMPLE, "-o", str(path))
    assert "16 event names: 16 placed by the preset, 0 guessed, 0 unassigned" in result.stderr
    loaded = load_config(path)
    assert loaded.config.columns.user == ("user_id",)
    validated = run_cli("validate", str(path), SAMPLE)
    assert "valid (preset 5a-default)" in validated.stdout
    report = json.loads(run_cli("diagnose", SAMPLE, "-c", str(path), "-f", "json").stdout)
    default = json.loads(run_cli("diagnose", SAMPLE, "-f", "json").stdout)
    assert report["stages"] == default["stages"]  # same rules as the preset alone
    full = load_text(tmp_path, uncomment_examples(path.read_text(encoding="utf-8")), "full.yaml")
    assert full.config.columns.time_unit == "ms"


def test_guesses_unassigned_and_quoting(tmp_path: Path, odd_csv: Path) -> None:
    path = tmp_path / "fivea.yaml"
    run_cli("init", str(odd_csv), "-o", str(path), "-q")
    text = path.read_text(encoding="utf-8")
    assert "#   pricing_page (6 events): guess: Appeal ('pricing' in the name; rule below)" in text
    assert "#   Order Completed (6 events): Act via preset" in text
    assert "#       # guess: 'invite' in the name (6 events)" in text
    unassigned = text.split("# Unassigned")[1].split("#\n")[0]
    for name, stage in ODD_NAMES.items():
        if stage is None:
            assert json.dumps(name) in unassigned or f"#   {name} (" in unassigned, name
    assert "cart_updated (6 events) - a cart or checkout step?" in unassigned
    # within 100 columns, except the suggested commands, which stay whole for copying
    assert all(len(line) <= 100 or line.startswith("#   fivea ") for line in text.splitlines())
    # as written: the preset's rules, unchanged
    assert load_config(path).config.stages == load_config(None, "5a-default").config.stages
    run_cli("diagnose", str(odd_csv), "-c", str(path))
    # uncommented: every guess becomes a rule of its stage, the preset's rules kept
    stages = load_text(tmp_path, uncomment_examples(text), "full.yaml").config.stages
    for name, stage in ODD_NAMES.items():
        if stage not in (None, "known"):
            events = [n for rule in getattr(stages, stage).rules for n in rule.event or ()]
            assert name in events, (name, stage)
    assert stages.appeal.rules[0] == load_config(None).config.stages.appeal.rules[0]
    assert stages.act == load_config(None).config.stages.act  # no guess: left to the preset
    # the guesses alone, against the data: every guessed rule matches its events
    guessed = tmp_path / "guessed.yaml"
    guessed.write_text(uncomment_examples(text, {"stages"}), encoding="utf-8")
    result = run_cli("validate", str(guessed), str(odd_csv))
    assert "guessed.yaml" not in result.stderr.replace(str(guessed), "")  # warnings: preset only
    report = json.loads(run_cli("diagnose", str(odd_csv), "-c", str(guessed), "-f", "json").stdout)
    assert (
        report["quality"]["unmatched_events"]
        < json.loads(run_cli("diagnose", str(odd_csv), "-c", str(path), "-f", "json").stdout)[
            "quality"
        ]["unmatched_events"]
    )


@pytest.mark.parametrize(
    ("fixture", "preset"),
    [
        ("ga4.ndjson", "ga4"),
        ("segment.ndjson", "segment"),
        ("amplitude.csv", "amplitude"),
        ("mixpanel.ndjson", "mixpanel"),
    ],
)
def test_export_picks_its_preset(tmp_path: Path, fixture: str, preset: str) -> None:
    path = tmp_path / "fivea.yaml"
    run_cli("init", str(EXPORTS / fixture), "-o", str(path), "-q")
    loaded = load_config(path)
    assert loaded.source.preset == preset
    assert loaded.config.columns == load_config(None, preset).config.columns
    load_text(tmp_path, uncomment_examples(path.read_text(encoding="utf-8")), "full.yaml")
    run_cli("diagnose", str(EXPORTS / fixture), "-c", str(path))


def test_explicit_preset_wins_and_the_export_is_mentioned(tmp_path: Path) -> None:
    out = run_cli("init", str(EXPORTS / "ga4.ndjson"), "--preset", "ecommerce", "-o", "-").stdout
    assert "\npreset: ecommerce\n" in out
    assert "`preset: ga4` knows its event names" in out
    assert "  user: user_pseudo_id\n  time: event_timestamp\n  event: event_name\n" in out
    path = tmp_path / "fivea.yaml"
    path.write_text(out, encoding="utf-8")
    run_cli("diagnose", str(EXPORTS / "ga4.ndjson"), "-c", str(path))


def test_epoch_and_naive_times_are_described(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text(
        "user_id,ts,event\nu1,1714564800000,page_view\nu2,1714564900000,purchase\n",
        encoding="utf-8",
    )
    out = run_cli("init", str(events), "-o", "-").stdout
    assert "# Timestamps: epoch milliseconds (from their magnitude), e.g. 1714564800000." in out
    assert "columns:\n  user: user_id\n  time: ts\n  event: event\n" in out
    naive = tmp_path / "naive.csv"
    naive.write_text("user,time,event\nu1,2025-01-01T10:00:00,a\nu2,2025-01-02,b\n")
    out = run_cli("init", str(naive), "-o", "-").stdout
    assert "mixed: 50% ISO-8601 without a zone, 50% dates only (YYYY-MM-DD)" in out
    assert "they are read in UTC" in out


def test_undetectable_columns_point_at_the_template(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("who,when,what\nu1,2025-01-01,a\n", encoding="utf-8")
    result = run_cli("init", str(events), "-o", "-", code=2)
    assert "no user column found" in result.stderr
    assert "run `fivea init` without EVENTS" in result.stderr


@pytest.mark.parametrize(
    ("name", "stage"),
    [
        ("page_view", "aware"),
        ("first_visit", "aware"),
        ("ad_impression", "aware"),
        ("app_open", "aware"),
        ("product_view", "appeal"),
        ("view_item", "appeal"),
        ("pricingPageViewed", "appeal"),
        ("add_to_wishlist", "appeal"),
        ("feature_tour", "appeal"),
        ("save_for_later", "appeal"),
        ("size_guide_view", "ask"),
        ("search", "ask"),
        ("review_read", "ask"),
        ("Product Reviews Viewed", "ask"),
        ("compare_products", "ask"),
        ("faq_view", "ask"),
        ("chat_start", "ask"),
        ("contact_sales", "ask"),
        ("demo_request", "ask"),
        ("trial_started", "ask"),
        ("lead_form_submit", "ask"),
        ("quote_request", "ask"),
        ("purchase", "act"),
        ("Order Completed", "act"),
        ("checkout_completed", "act"),
        ("subscribe", "act"),
        ("invoice_paid", "act"),
        ("account_activated", "act"),
        ("review_post", "advocate"),
        ("write_review", "advocate"),
        ("Product Reviewed", "advocate"),
        ("referral_sent", "advocate"),
        ("invite_sent", "advocate"),
        ("social_share", "advocate"),
        ("app_rating", "advocate"),
        ("subscription_renewed", "advocate"),
        ("begin_checkout", None),
        ("add_to_cart", None),
        ("payment_failed", None),
        ("order_cancelled", None),
        ("remove_from_wishlist", None),
        ("foo", None),
    ],
)
def test_guess_stage(name: str, stage: str | None) -> None:
    guess = guess_stage(name)
    assert (guess[0] if guess else None) == stage
