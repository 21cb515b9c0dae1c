-- Everything as one JSON value: the query's one row.
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
