"""Actions fit the business (docs/metrics.md#actions): one catalogue per kind of business."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fivea.diagnosis.grading import advice, default_actions
from tests.conftest import REAL_DATA, ROOT, run_cli

BUSINESSES = ["generic", "ecommerce", "saas", "leadgen", "app"]
KEYS = ["attraction", "curiosity_low", "curiosity_high", "commitment", "affinity"]
SHOP_WORDS = ("checkout", "stock", "delivery", "cart", "basket", "shopper", "order")


@pytest.mark.parametrize("business", BUSINESSES)
def test_every_catalogue_covers_every_finding(business: str) -> None:
    catalogue = default_actions(business)
    assert sorted(catalogue) == sorted(KEYS)
    for key in KEYS:
        entry = catalogue[key]
        assert entry["problem"]
        assert entry["chapter"].startswith("ch. ")
        assert len(entry["actions"]) >= 3


@pytest.mark.parametrize("business", ["saas", "leadgen", "app", "generic"])
def test_only_a_shop_is_told_about_checkout_stock_or_delivery(business: str) -> None:
    for key in KEYS:
        text = " ".join(
            [default_actions(business)[key]["problem"], *advice(key, None, business)["actions"]]
        )
        assert not any(word in text.lower() for word in SHOP_WORDS), (business, key, text)


def test_lead_commitment_speaks_of_follow_up_and_sales_cycle() -> None:
    text = " ".join(advice("commitment", None, "leadgen")["actions"]).lower()
    for words in ("follow up", "qualif", "sales cycle", "proposal"):
        assert words in text


def _lead_log(tmp_path: Path) -> Path:
    """300 visitors, 200 read content, 150 raise their hand, 6 close: commitment is the leak."""
    rows = ["user_id,event,timestamp"]
    for i in range(300):
        rows.append(f"p{i},page_view,2025-01-01T00:{i % 60:02d}:00")
        if i < 200:
            rows.append(f"p{i},content_download,2025-01-02T00:00:00")
        if i < 150:
            rows.append(f"p{i},demo_request,2025-01-03T00:00:00")
        if i < 6:
            rows.append(f"p{i},closed_won,2025-02-01T00:00:00")
    path = tmp_path / "leads.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_lead_funnel_gets_lead_advice_for_its_commitment_bottleneck(tmp_path: Path) -> None:
    out = run_cli("diagnose", str(_lead_log(tmp_path)), "--preset", "leadgen", "-f", "json")
    data = json.loads(out.stdout)
    neck = data["bottleneck"]
    assert neck["transition"] == "commitment"
    assert neck["actions"] == advice("commitment", None, "leadgen")["actions"]
    assert not any(word in " ".join(neck["actions"]).lower() for word in SHOP_WORDS)


def test_config_actions_list_replaces_the_catalogue_list(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text(
        "version: 1\npreset: leadgen\nactions: {commitment: [Call every lead back within the hour]}\n",
        encoding="utf-8",
    )
    out = run_cli("diagnose", str(_lead_log(tmp_path)), "-c", str(config), "-f", "json")
    neck = json.loads(out.stdout)["bottleneck"]
    assert neck["actions"] == ["Call every lead back within the hour"]
    assert neck["problem"] == advice("commitment", None, "leadgen")["problem"]


def test_unknown_business_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "fivea.yaml"
    config.write_text("version: 1\npreset: ecommerce\nbusiness: shop\n", encoding="utf-8")
    out = run_cli("validate", str(config), code=2)
    assert (
        "fivea.yaml:3: business: must be 'ecommerce', 'saas', 'leadgen', 'app' or 'generic'"
        in out.stderr
    )


@pytest.mark.parametrize(
    ("business", "warned"),
    [("ecommerce", True), ("generic", True), ("leadgen", False), ("saas", False)],
)
def test_cart_in_ask_warning_only_for_shops(tmp_path: Path, business: str, warned: bool) -> None:
    base = (ROOT / "tests" / "fixtures" / "configs" / "rees46-cart-in-ask.yaml").read_text(
        encoding="utf-8"
    )
    config = tmp_path / "fivea.yaml"
    # buyers with Ask evidence: map purchases to Ask as well, so nearly every buyer "asked"
    config.write_text(
        base.replace("ask: {rules: [{event: cart}]}", "ask: {rules: [{event: [cart, purchase]}]}")
        + f"business: {business}\n",
        encoding="utf-8",
    )
    data = json.loads(
        run_cli(
            "diagnose",
            str(REAL_DATA / "rees46-oct2019-head" / "events.csv"),
            "-c",
            str(config),
            "-f",
            "json",
        ).stdout
    )
    kinds = [f["kind"] for f in data["findings"]]
    assert ("door_knob_undetectable" in kinds) is warned
