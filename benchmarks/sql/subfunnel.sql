-- Sub-funnel checkout (its steps: ev.step, set by the config's stages part): from every row of
-- step 1, each next step's earliest row strictly after the previous step's row in (time, input
-- order) (ASOF JOIN on the key t * 2^32 + rn); a step counts while it lies at most funnel.window
-- after the start (inclusive). A person's level is the best start's; the step times are those of
-- the earliest start reaching that level, and each step's median is over the persons who reached
-- it (type 7, as fivea).
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
