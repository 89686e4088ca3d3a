-- Incident person-hours by team: each person's activity in an incident (pages received and acknowledged, acknowledgements and status updates, chat posts, roles' start and end) cut into stints where a gap exceeds gap_minutes, each lasting to its last activity plus tail_minutes; counted in UTC hours (the metrics split them by each person's zone, and merge one incident seen in two sources).
-- param since date 2000-01-01: first day counted (by the incident's declaration)
-- param until date 2100-01-01: day after the last day counted
-- param gap_minutes number 30: a longer gap starts a new stint
-- param tail_minutes number 15: added to a stint's last activity
WITH counted AS (
    SELECT incident_id
    FROM incidents
    WHERE NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
      AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) >= :since
      AND EXTRACT(EPOCH FROM COALESCE(declared_at, started_at)) < :until
),
-- UNION, not UNION ALL: two activities at one instant are one, so that no tie orders
-- the windows below differently in one engine and another.
activity AS (
    SELECT person_id, incident_id, EXTRACT(EPOCH FROM sent_at) AS t
    FROM pages WHERE person_id IS NOT NULL AND sent_at IS NOT NULL
    UNION
    SELECT person_id, incident_id, EXTRACT(EPOCH FROM acknowledged_at) AS t
    FROM pages WHERE person_id IS NOT NULL AND acknowledged_at IS NOT NULL
    UNION
    SELECT e.person_id, e.incident_id, EXTRACT(EPOCH FROM e.at) AS t
    FROM events e WHERE e.person_id IS NOT NULL AND e.kind IN ('acknowledged', 'status_update')
    UNION
    SELECT m.person_id, m.incident_id, EXTRACT(EPOCH FROM m.at) AS t
    FROM messages m
    WHERE m.person_id IS NOT NULL AND m.incident_id IS NOT NULL AND NOT COALESCE(m.is_bot, FALSE)
      AND (m.subtype IS NULL OR m.subtype IN ('file_share', 'thread_broadcast', 'me_message'))
    UNION
    SELECT person_id, incident_id, EXTRACT(EPOCH FROM first_active_at) AS t
    FROM participants WHERE role <> 'observer' AND first_active_at IS NOT NULL
    UNION
    SELECT person_id, incident_id, EXTRACT(EPOCH FROM last_active_at) AS t
    FROM participants WHERE role <> 'observer' AND last_active_at IS NOT NULL
),
marked AS (
    SELECT a.person_id, a.incident_id, a.t,
           CASE WHEN a.t - LAG(a.t) OVER (PARTITION BY a.person_id, a.incident_id ORDER BY a.t)
                     <= :gap_minutes * 60 THEN 0 ELSE 1 END AS starts
    FROM activity a
    JOIN counted c ON c.incident_id = a.incident_id
),
numbered AS (
    SELECT person_id, incident_id, t,
           SUM(starts) OVER (PARTITION BY person_id, incident_id ORDER BY t
                             ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS stint
    FROM marked
),
stints AS (
    SELECT person_id, incident_id, stint, MAX(t) - MIN(t) + :tail_minutes * 60 AS seconds
    FROM numbered
    GROUP BY person_id, incident_id, stint
)
SELECT COALESCE(p.team, 'unknown') AS team,
       COUNT(DISTINCT s.person_id) AS people,
       COUNT(DISTINCT s.incident_id) AS incidents,
       COUNT(*) AS stints,
       SUM(s.seconds) / 3600.0 AS person_hours
FROM stints s
LEFT JOIN people p ON p.person_id = s.person_id
GROUP BY COALESCE(p.team, 'unknown')
ORDER BY person_hours DESC, team
