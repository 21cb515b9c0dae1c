-- Time to convert k -> k+1: reach(k+1) - reach(k) in integer µs over persons with both;
-- converted = difference >= 0 (zero included), reversed = < 0. Quantiles are Hyndman-Fan
-- type 7 (quantile_cont) over the converted, reported in seconds (result.sql).
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
