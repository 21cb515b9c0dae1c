-- The 5A metrics of `fivea diagnose --segment channel --config benchmarks/config_rules.yaml`,
-- written by hand in DuckDB SQL, as the reference that benchmarks/run.py times and checks fivea
-- against (config "rules").
--
-- Input: a view raw_events(user_id VARCHAR, event_time TIMESTAMPTZ, event VARCHAR,
-- channel VARCHAR, revenue DOUBLE, rn BIGINT), defined by duckdb_5a.py over one Parquet or CSV
-- file; rn is the row number in the file (input order, the tie-break of docs/input.md
-- "Input order").
-- Output: one row, one JSON value with persons, events, stages (reached, path), transitions
-- (converted, reversed, time-to-convert quantiles), the first-touch channel breakdown and the
-- checkout sub-funnel (reached and median step time per step).
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
-- No --since/--until is given, so every valid event is in the analysis window.
-- Every stage is taken as measured (docs/metrics.md "Not measured, not judged"): fivea's path
-- skips a stage no rule hits, this SQL does not, so such a log shows up as a disagreement (the
-- benchmark logs hit every stage).

-- funnel.window and the appeal rule's `within` (both 30d), the advocate rule's `gap` (1h), in µs.
CREATE TEMP MACRO funnel_window_us() AS 30 * 86400 * 1000000::BIGINT;
CREATE TEMP MACRO view_within_us() AS 30 * 86400 * 1000000::BIGINT;
CREATE TEMP MACRO repeat_gap_us() AS 3600 * 1000000::BIGINT;

-- 1. Events: drop the rows fivea drops (null or empty user or event, null time) and keep what
--    the metrics need: person, time in integer µs, input order, the segment value (trimmed; null
--    when empty) and one flag per rule.
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

-- 4. Ordered path (windowFunnel, non-strict on time, 30 days inclusive, maximised over every
--    start), as in duckdb_5a.sql: aware is `any_event`, so levels >= 2 are reached from starts
--    h1 = h2 = an Appeal hit, and for one start each next stage's earliest hit at or after the
--    previous one (ASOF JOIN) gives the deepest level.
CREATE TEMP TABLE path_level AS
WITH
    appeal_hits AS (
        SELECT user_id, t FROM ev WHERE is_wish
        UNION ALL
        SELECT user_id, t FROM counted WHERE NOT is_paid
    ),
    starts AS (SELECT DISTINCT user_id, t AS t1 FROM appeal_hits),
    ask_hits AS (SELECT user_id, t FROM ev WHERE is_ask),
    act_hits AS (SELECT user_id, t FROM ev WHERE is_paid),
    advocate_hits AS (
        SELECT user_id, t FROM ev WHERE is_word
        UNION ALL
        SELECT user_id, t FROM counted WHERE is_paid
    ),
    to_ask AS (
        SELECT s.user_id, s.t1, h.t AS t3
        FROM starts AS s
        ASOF LEFT JOIN ask_hits AS h ON s.user_id = h.user_id AND s.t1 <= h.t
    ),
    to_act AS (
        SELECT s.*, h.t AS t4
        FROM to_ask AS s
        ASOF LEFT JOIN act_hits AS h ON s.user_id = h.user_id AND s.t3 <= h.t
    ),
    to_advocate AS (
        SELECT s.*, h.t AS t5
        FROM to_act AS s
        ASOF LEFT JOIN advocate_hits AS h ON s.user_id = h.user_id AND s.t4 <= h.t
    )
SELECT
    user_id,
    -- t3 <= t4 <= t5 when present, so the three window tests nest
    max(
        2
        + coalesce(t3 - t1 <= funnel_window_us(), false)::INT
        + coalesce(t4 - t1 <= funnel_window_us(), false)::INT
        + coalesce(t5 - t1 <= funnel_window_us(), false)::INT
    ) AS level
FROM to_advocate
GROUP BY user_id;

-- 5. Per-stage counts: reached (own evidence, not cumulative) and path (level >= k).
CREATE TEMP TABLE stage_counts AS
WITH levels AS (
    SELECT coalesce(l.level, 1) AS level
    FROM reach AS r
    LEFT JOIN path_level AS l USING (user_id)
)
SELECT *
FROM (
    SELECT 1 AS k, 'aware' AS key, count(r_aware) AS reached FROM reach
    UNION ALL SELECT 2, 'appeal', count(r_appeal) FROM reach
    UNION ALL SELECT 3, 'ask', count(r_ask) FROM reach
    UNION ALL SELECT 4, 'act', count(r_act) FROM reach
    UNION ALL SELECT 5, 'advocate', count(r_advocate) FROM reach
) AS s
JOIN (
    SELECT k, count(*) FILTER (WHERE level >= k) AS path
    FROM levels, range(1, 6) AS ks(k)
    GROUP BY k
) AS p USING (k);

-- 6. Time to convert k -> k+1 (as duckdb_5a.sql): reach(k+1) - reach(k) in integer µs over
--    persons with both; converted = difference >= 0, reversed = < 0; type-7 quantiles.
CREATE TEMP TABLE transition_stats AS
SELECT
    k,
    count(*) FILTER (WHERE d >= 0) AS converted,
    count(*) FILTER (WHERE d < 0) AS reversed,
    quantile_cont(d, [0.25, 0.5, 0.75, 0.9]) FILTER (WHERE d >= 0) AS q
FROM (
    SELECT v.k, v.d
    FROM reach,
        LATERAL (
            VALUES
                (1, r_appeal - r_aware),
                (2, r_ask - r_appeal),
                (3, r_act - r_ask),
                (4, r_advocate - r_act)
        ) AS v(k, d)
    WHERE v.d IS NOT NULL
)
GROUP BY k;

-- 7. First-touch channel: persons and reached per stage; the top 20 values by persons (ties by
--    value), the rest as "(other)".
CREATE TEMP TABLE channel_counts AS
WITH ranked AS (
    SELECT
        channel,
        count(*) AS persons,
        row_number() OVER (ORDER BY count(*) DESC, channel) AS pos
    FROM reach
    GROUP BY channel
)
SELECT
    if(k.pos <= 20, r.channel, '(other)') AS value,
    count(*) AS persons,
    count(r.r_aware) AS aware,
    count(r.r_appeal) AS appeal,
    count(r.r_ask) AS ask,
    count(r.r_act) AS act,
    count(r.r_advocate) AS advocate
FROM reach AS r
JOIN ranked AS k USING (channel)
GROUP BY ALL;

-- 8. Sub-funnel checkout: from every add_to_cart row, each next step's earliest row strictly
--    after the previous step's row in (time, input order) (ASOF JOIN on the key t * 2^32 + rn);
--    a step counts while it lies at most funnel.window after the start (inclusive). A person's
--    level is the best start's; the step times are those of the earliest start reaching that
--    level, and each step's median is over the persons who reached it (type 7, as fivea).
CREATE TEMP TABLE sub_levels AS
WITH
    steps AS (SELECT user_id, t, t::HUGEINT * 4294967296 + rn AS key, step FROM ev WHERE step > 0),
    s1 AS (SELECT user_id, t AS t1, key AS key1 FROM steps WHERE step = 1),
    s2 AS (SELECT user_id, t, key FROM steps WHERE step = 2),
    s3 AS (SELECT user_id, t, key FROM steps WHERE step = 3),
    to_2 AS (
        SELECT s.user_id, s.t1, s.key1, h.t AS t2, h.key AS key2
        FROM s1 AS s
        ASOF LEFT JOIN s2 AS h ON s.user_id = h.user_id AND s.key1 < h.key
    ),
    to_3 AS (
        SELECT s.user_id, s.t1, s.key1, s.t2, h.t AS t3
        FROM to_2 AS s
        ASOF LEFT JOIN s3 AS h ON s.user_id = h.user_id AND s.key2 < h.key
    ),
    chains AS (
        SELECT
            *,
            1
            + coalesce(t2 - t1 <= funnel_window_us(), false)::INT
            + coalesce(t3 - t1 <= funnel_window_us(), false)::INT AS level
        FROM to_3
    )
SELECT
    user_id,
    max(level) AS level,
    -- the earliest start among those of the highest level: the smallest (-level, start key)
    arg_min({'t1': t1, 't2': t2, 't3': t3}, ((4 - level)::HUGEINT << 100) + key1) AS times
FROM chains
GROUP BY user_id;

CREATE TEMP TABLE sub_steps AS
SELECT
    k,
    count(*) FILTER (WHERE level >= k) AS reached,
    quantile_cont(
        CASE k WHEN 2 THEN times.t2 - times.t1 WHEN 3 THEN times.t3 - times.t2 END, 0.5
    ) FILTER (WHERE level >= k AND k >= 2) AS median
FROM sub_levels, range(1, 4) AS ks(k)
GROUP BY k;

-- 9. Everything as one JSON value.
SELECT to_json({
    'persons': (SELECT count(*) FROM reach),
    'events': (SELECT count(*) FROM ev),
    'stages': (
        SELECT list({'key': key, 'reached': reached, 'path': path} ORDER BY k)
        FROM stage_counts
    ),
    'transitions': (
        SELECT list({
            'k': k,
            'converted': converted,
            'reversed': reversed,
            'p25_seconds': q[1] / 1e6,
            'median_seconds': q[2] / 1e6,
            'p75_seconds': q[3] / 1e6,
            'p90_seconds': q[4] / 1e6
        } ORDER BY k)
        FROM transition_stats
    ),
    'segments': (
        SELECT list({
            'value': value,
            'persons': persons,
            'reached': {
                'aware': aware, 'appeal': appeal, 'ask': ask, 'act': act, 'advocate': advocate
            }
        } ORDER BY persons DESC, value)
        FROM channel_counts
    ),
    'subfunnels': [{
        'name': 'checkout',
        'steps': (
            SELECT list({'reached': reached, 'median_seconds': median / 1e6} ORDER BY k)
            FROM sub_steps
        )
    }]
}) AS result;
