-- Ordered path (windowFunnel, non-strict, window funnel_window_us() inclusive, maximised over
-- every start). For one start h1, taking each next stage's earliest hit at or after the previous
-- one (ASOF JOIN) gives the smallest h2 <= h3 <= ..., hence the deepest level of that start.
-- Starts: aware is `any_event` (in both configs), so every Appeal hit is also an Aware hit at the
-- same instant; replacing h1 by h2 keeps the order and shortens hk - h1. So a person with any
-- event is at level >= 1, and levels >= 2 are reached from starts h1 = h2 = an Appeal hit time:
-- trying only those starts is the same maximum as trying every event.
CREATE TEMP TABLE path_level AS
WITH
    starts AS (SELECT DISTINCT user_id, t AS t1 FROM appeal_hits),
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

-- Per-stage counts: reached (own evidence, not cumulative) and path (level >= k).
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
