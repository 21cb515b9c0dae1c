-- First-touch channel: persons and reached per stage; the top 20 values by persons (ties by
-- value), the rest as "(other)".
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
