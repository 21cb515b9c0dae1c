-- The stage rules of config `preset`: `fivea diagnose --segment channel` with the 5a-default
-- preset. The first part of that config's DuckDB reference query; benchmarks/duckdb_5a.py runs
-- it followed by the shared parts (path.sql, transitions.sql, channels.sql, subfunnel.sql,
-- result.sql), and `python benchmarks/duckdb_5a.py --print preset` prints the whole query. It
-- defines what the shared parts read (listed in duckdb_5a.py): funnel_window_us(), ev, reach
-- and the hits of stages 2-5.
--
-- Semantics (docs/metrics.md), with the rules of fivea/presets/5a-default.yaml:
--   aware    = any event (its named events are a subset of "any event");
--   appeal, ask, act = the preset's event-name lists (exact, case-sensitive);
--   advocate = the word-of-mouth list, or a repeat purchase: the start of a person's 2nd, 3rd,
--              ... order within one purchase vocabulary (four rules `min_count: 2, gap: 1h`, no
--              `within`: purchase | in_app_purchase | Order Completed, Checkout Completed |
--              Purchase, Purchased), so that one order logged under two names is not a repeat;
--              a purchase less than 1 h after the person's previous one of the same rule, in
--              (time, input order), continues its order (docs/metrics.md "Occasions");
--   sub-funnel checkout = add_to_cart | Product Added | Add to Cart -> begin_checkout |
--              Checkout Started -> purchase | in_app_purchase | Order Completed | Purchase |
--              Purchased, each step its own row strictly after the previous one in (time,
--              input order), window funnel.window (docs/metrics.md "Sub-funnels").

-- The funnel window (funnel.window: 30d) and the repeat-purchase rules' gap (1h) in µs.
CREATE TEMP MACRO funnel_window_us() AS 30 * 86400 * 1000000::BIGINT;
CREATE TEMP MACRO repeat_gap_us() AS 3600 * 1000000::BIGINT;

-- 1. Events: drop the rows fivea drops (null or empty user or event, null time) and keep only
--    what the metrics need: person, time in integer microseconds, input order, the segment
--    value (trimmed; null when empty), one flag per rule and the sub-funnel step.
CREATE TEMP TABLE ev AS
SELECT
    user_id,
    epoch_us(event_time) AS t,
    rn,
    nullif(trim(channel), '') AS channel,
    event IN (
        'product_view', 'view_item', 'select_item', 'view_promotion', 'select_promotion',
        'wishlist_add', 'add_to_wishlist', 'pricing_view', 'feature_view',
        'Product Viewed', 'Product Clicked', 'Product Added to Wishlist',
        'Promotion Clicked', 'View Item', 'Viewed Product', 'Product View'
    ) AS is_appeal,
    event IN (
        'search', 'view_search_results', 'review_read', 'faq_view', 'chat_start',
        'compare_products', 'contact', 'generate_lead', 'demo_request', 'trial_request',
        'sign_up', 'Products Searched', 'Product List Filtered', 'Product Reviews Viewed',
        'Support Chat Started', 'Lead Submitted', 'Search', 'Signed Up'
    ) AS is_ask,
    event IN (
        'purchase', 'in_app_purchase', 'subscription_start', 'Order Completed', 'Purchase',
        'Subscription Started', 'Purchased', 'Checkout Completed'
    ) AS is_act,
    -- advocate, rule 1: word of mouth
    event IN (
        'review_post', 'referral_sent', 'social_share', 'share', 'write_review', 'invite_sent',
        'Product Shared', 'Product Reviewed', 'Cart Shared', 'Referral Sent', 'Review Posted'
    ) AS is_word,
    -- advocate, rules 2-5: the purchase vocabulary of the event (null: not a purchase rule),
    -- each a hit from its 2nd occasion on
    CASE
        WHEN event = 'purchase' THEN 1
        WHEN event = 'in_app_purchase' THEN 2
        WHEN event IN ('Order Completed', 'Checkout Completed') THEN 3
        WHEN event IN ('Purchase', 'Purchased') THEN 4
    END::UTINYINT AS buy_rule,
    -- the sub-funnel step of the event (null: none)
    CASE
        WHEN event IN ('add_to_cart', 'Product Added', 'Add to Cart') THEN 1
        WHEN event IN ('begin_checkout', 'Checkout Started') THEN 2
        WHEN event IN ('purchase', 'in_app_purchase', 'Order Completed', 'Purchase', 'Purchased')
            THEN 3
    END::UTINYINT AS step
FROM raw_events
WHERE user_id <> '' AND event <> '' AND event_time IS NOT NULL;

-- 2. Advocate hits of the repeat-purchase rules: each purchase's distance to the person's
--    previous purchase of the same rule in (time, input order); one of 1 h or more starts a new
--    occasion. The first purchase starts the first occasion (distance null), so every other
--    start is the start of a 2nd or later occasion: a hit.
CREATE TEMP TABLE repeat_buys AS
SELECT user_id, t
FROM (
    SELECT
        user_id,
        t,
        t - lag(t) OVER (PARTITION BY user_id, buy_rule ORDER BY t, rn) AS since_previous
    FROM ev
    WHERE buy_rule IS NOT NULL
)
WHERE since_previous >= repeat_gap_us();

-- 3. One row per person: reach time (earliest hit) per stage, and the first-touch channel
--    (the first non-empty value in (time, input order); none: "(none)").
CREATE TEMP TABLE persons AS
SELECT
    user_id,
    min(t) AS r_aware,
    min(t) FILTER (WHERE is_appeal) AS r_appeal,
    min(t) FILTER (WHERE is_ask) AS r_ask,
    min(t) FILTER (WHERE is_act) AS r_act,
    min(t) FILTER (WHERE is_word) AS r_word,
    -- (time, input order) as one integer key t * 2^32 + rn (rn < 2^32 rows); it compares like
    -- the pair and is faster than a struct key
    arg_min(channel, t::HUGEINT * 4294967296 + rn) FILTER (WHERE channel IS NOT NULL)
        AS first_channel
FROM ev
GROUP BY user_id;

CREATE TEMP TABLE reach AS
SELECT
    p.user_id,
    p.r_aware,
    p.r_appeal,
    p.r_ask,
    p.r_act,
    least(p.r_word, b.r_repeat) AS r_advocate,  -- least() skips NULLs
    coalesce(p.first_channel, '(none)') AS channel
FROM persons AS p
LEFT JOIN (SELECT user_id, min(t) AS r_repeat FROM repeat_buys GROUP BY user_id) AS b
    USING (user_id);

-- 4. The hits of appeal, ask, act and advocate that the ordered path (path.sql) chains.
CREATE TEMP VIEW appeal_hits AS SELECT user_id, t FROM ev WHERE is_appeal;
CREATE TEMP VIEW ask_hits AS SELECT user_id, t FROM ev WHERE is_ask;
CREATE TEMP VIEW act_hits AS SELECT user_id, t FROM ev WHERE is_act;
CREATE TEMP VIEW advocate_hits AS
SELECT user_id, t FROM ev WHERE is_word
UNION ALL
SELECT user_id, t FROM repeat_buys;
