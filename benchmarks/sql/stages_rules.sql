-- The stage rules of config `rules`: `fivea diagnose --segment channel --config
-- benchmarks/config_rules.yaml`. The first part of that config's DuckDB reference query;
-- benchmarks/duckdb_5a.py runs it followed by the shared parts (path.sql, transitions.sql,
-- channels.sql, subfunnel.sql, result.sql), and `python benchmarks/duckdb_5a.py --print rules`
-- prints the whole query. It defines what the shared parts read (listed in duckdb_5a.py):
-- funnel_window_us(), ev, reach and the hits of stages 2-5.
--
-- Semantics (docs/metrics.md, docs/config.md "Stages and rules"), with the rules of
-- benchmarks/config_rules.yaml:
--   aware    = any event;
--   appeal   = product_view with `min_count: 2, within: 30d` (a hit at each product_view whose
--              previous product_view, in (time, input order), is at most 30 days earlier, both
--              ends inclusive), or any wishlist_add;
--   ask      = search | review_read | chat_start | faq_view;
--   act      = purchase where revenue > 0 (a null revenue is false);
--   advocate = review_post | referral_sent | social_share, or a paid purchase (revenue > 0) with
--              `min_count: 2, gap: 1h`: paid purchases less than 1 h after the person's previous
--              paid purchase continue its occasion; the hits are the starts of the 2nd, 3rd, ...
--              occasions (docs/metrics.md "Occasions");
--   sub-funnel checkout = add_to_cart -> begin_checkout -> purchase (no revenue condition),
--              each step its own row strictly after the previous one in (time, input order),
--              window funnel.window (docs/metrics.md "Sub-funnels").

-- funnel.window and the appeal rule's `within` (both 30d), the advocate rule's `gap` (1h), in µs.
CREATE TEMP MACRO funnel_window_us() AS 30 * 86400 * 1000000::BIGINT;
CREATE TEMP MACRO view_within_us() AS 30 * 86400 * 1000000::BIGINT;
CREATE TEMP MACRO repeat_gap_us() AS 3600 * 1000000::BIGINT;

-- 1. Events: drop the rows fivea drops (null or empty user or event, null time) and keep what
--    the metrics need: person, time in integer µs, input order, the segment value (trimmed; null
--    when empty), one flag per rule and the sub-funnel step.
CREATE TEMP TABLE ev AS
SELECT
    user_id,
    epoch_us(event_time) AS t,
    rn,
    nullif(trim(channel), '') AS channel,
    event = 'product_view' AS is_view,
    event = 'wishlist_add' AS is_wish,
    event IN ('search', 'review_read', 'chat_start', 'faq_view') AS is_ask,
    coalesce(event = 'purchase' AND revenue > 0, false) AS is_paid,
    event IN ('review_post', 'referral_sent', 'social_share') AS is_word,
    -- the sub-funnel step of the event (null: none)
    CASE event
        WHEN 'add_to_cart' THEN 1
        WHEN 'begin_checkout' THEN 2
        WHEN 'purchase' THEN 3
    END::UTINYINT AS step
FROM raw_events
WHERE user_id <> '' AND event <> '' AND event_time IS NOT NULL;

-- 2. Hits of the two counted rules, in one window pass (product_view and purchase are disjoint):
--    each event's distance to the person's previous event of the same rule, in (time, input
--    order). Appeal: distance <= within. Advocate: distance >= gap starts a new occasion; the
--    first paid purchase starts the first occasion (distance null), so every other start is the
--    start of a 2nd or later occasion, a hit.
CREATE TEMP TABLE counted AS
SELECT user_id, t, is_paid
FROM (
    SELECT
        user_id,
        t,
        is_paid,
        t - lag(t) OVER (PARTITION BY user_id, is_paid ORDER BY t, rn) AS since_previous
    FROM ev
    WHERE is_view OR is_paid
)
WHERE
    CASE
        WHEN is_paid THEN since_previous >= repeat_gap_us()
        ELSE since_previous <= view_within_us()
    END;

-- 3. One row per person: reach time (earliest hit) per stage, and the first-touch channel (the
--    first non-empty value in (time, input order); none: "(none)").
CREATE TEMP TABLE persons AS
SELECT
    user_id,
    min(t) AS r_aware,
    min(t) FILTER (WHERE is_wish) AS r_wish,
    min(t) FILTER (WHERE is_ask) AS r_ask,
    min(t) FILTER (WHERE is_paid) AS r_act,
    min(t) FILTER (WHERE is_word) AS r_word,
    -- (time, input order) as one integer t * 2^32 + rn (rn < 2^32 rows): it compares like the pair
    arg_min(channel, t::HUGEINT * 4294967296 + rn) FILTER (WHERE channel IS NOT NULL)
        AS first_channel
FROM ev
GROUP BY user_id;

CREATE TEMP TABLE reach AS
SELECT
    p.user_id,
    p.r_aware,
    least(p.r_wish, c.r_view) AS r_appeal,  -- least() skips NULLs
    p.r_ask,
    p.r_act,
    least(p.r_word, c.r_repeat) AS r_advocate,
    coalesce(p.first_channel, '(none)') AS channel
FROM persons AS p
LEFT JOIN (
    SELECT
        user_id,
        min(t) FILTER (WHERE NOT is_paid) AS r_view,
        min(t) FILTER (WHERE is_paid) AS r_repeat
    FROM counted
    GROUP BY user_id
) AS c USING (user_id);

-- 4. The hits of appeal, ask, act and advocate that the ordered path (path.sql) chains.
CREATE TEMP VIEW appeal_hits AS
SELECT user_id, t FROM ev WHERE is_wish
UNION ALL
SELECT user_id, t FROM counted WHERE NOT is_paid;
CREATE TEMP VIEW ask_hits AS SELECT user_id, t FROM ev WHERE is_ask;
CREATE TEMP VIEW act_hits AS SELECT user_id, t FROM ev WHERE is_paid;
CREATE TEMP VIEW advocate_hits AS
SELECT user_id, t FROM ev WHERE is_word
UNION ALL
SELECT user_id, t FROM counted WHERE is_paid;
