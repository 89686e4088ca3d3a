-- Change failure rate by service: production deployments in the period that did not fail (or that a source links to an incident), and those an incident is credited to: the one its source links (its own service's first, then the latest; an incident linked only to changes no export holds is credited to none), else the latest successful production deployment of one of its services at most window_hours before it started. Counted per deployment, over every incident stored (the metrics also merge one incident seen in two sources and stop at as_of).
-- param since date 2000-01-01: first day counted (by deployment time)
-- param until date 2100-01-01: day after the last day counted
-- param window_hours number 24: how long before an incident a deployment may have induced it
WITH last_time AS (
    SELECT s.deployment_id, MAX(EXTRACT(EPOCH FROM s.at)) AS t
    FROM deployment_statuses s
    GROUP BY s.deployment_id
),
-- A deployment's latest status; at one instant a failure ('failure' < 'success').
last_status AS (
    SELECT s.deployment_id, MIN(s.status) AS status
    FROM deployment_statuses s
    JOIN last_time l ON l.deployment_id = s.deployment_id AND EXTRACT(EPOCH FROM s.at) = l.t
    GROUP BY s.deployment_id
),
dep AS (
    SELECT d.deployment_id, d.change_number, d.service, d.incident_id, EXTRACT(EPOCH FROM d.at) AS t,
           COALESCE(ls.status, d.status) AS status,
           CASE WHEN d.environment IS NULL THEN TRUE
                WHEN LOWER(TRIM(d.environment)) IN ('production', 'prod', 'prd', 'live') THEN TRUE
                ELSE FALSE END AS production
    FROM deployments d
    LEFT JOIN last_status ls ON ls.deployment_id = d.deployment_id
    WHERE d.at IS NOT NULL
),
inc AS (
    SELECT incident_id, EXTRACT(EPOCH FROM COALESCE(started_at, declared_at)) AS t
    FROM incidents
    WHERE NOT COALESCE(is_drill, FALSE) AND NOT COALESCE(is_maintenance, FALSE)
      AND COALESCE(started_at, declared_at) IS NOT NULL
),
-- What a link may name a deployment by: its id, or its number where the source
-- numbers its changes and the number is no deployment's id (ServiceNow's display values).
change_ref AS (
    SELECT deployment_id AS ref, deployment_id FROM dep
    UNION ALL
    SELECT d.change_number AS ref, d.deployment_id
    FROM dep d LEFT JOIN dep x ON x.deployment_id = d.change_number
    WHERE d.change_number IS NOT NULL AND x.deployment_id IS NULL
),
-- The deployments a source links an incident to (the deployment's incident_id, or
-- incident_changes), each marked when it is of one of the incident's services.
link AS (
    SELECT incident_id, deployment_id FROM dep WHERE incident_id IS NOT NULL
    UNION ALL
    SELECT c.incident_id, r.deployment_id
    FROM incident_changes c JOIN change_ref r ON r.ref = c.deployment_id
),
link_own AS (
    SELECT l.incident_id, l.deployment_id, d.t,
           CASE WHEN s.service IS NULL THEN 0 ELSE 1 END AS own
    FROM link l
    JOIN dep d ON d.deployment_id = l.deployment_id
    LEFT JOIN incident_services s ON s.incident_id = l.incident_id AND s.service = d.service
),
-- Of several: the incident's own service's first, then the latest, then the greatest id.
best_own AS (
    SELECT incident_id, MAX(own) AS own FROM link_own GROUP BY incident_id
),
linked_time AS (
    SELECT k.incident_id, k.own, MAX(k.t) AS t
    FROM link_own k JOIN best_own b ON b.incident_id = k.incident_id AND b.own = k.own
    GROUP BY k.incident_id, k.own
),
linked AS (
    SELECT k.incident_id, MAX(k.deployment_id) AS deployment_id
    FROM link_own k
    JOIN linked_time l ON l.incident_id = k.incident_id AND l.own = k.own AND l.t = k.t
    GROUP BY k.incident_id
),
-- Incidents a source links only to changes no export holds: the window does not credit them.
unfollowed AS (
    SELECT DISTINCT c.incident_id
    FROM incident_changes c
    LEFT JOIN change_ref r ON r.ref = c.deployment_id
    WHERE r.ref IS NULL
),
near AS (
    SELECT i.incident_id, d.deployment_id, d.t
    FROM inc i
    JOIN incident_services s ON s.incident_id = i.incident_id
    JOIN dep d ON d.service = s.service
    LEFT JOIN linked k ON k.incident_id = i.incident_id
    LEFT JOIN unfollowed u ON u.incident_id = i.incident_id
    WHERE k.incident_id IS NULL AND u.incident_id IS NULL
      AND d.production AND COALESCE(d.status, 'success') <> 'failure'
      AND d.t <= i.t AND i.t - d.t <= :window_hours * 3600
),
near_time AS (
    SELECT incident_id, MAX(t) AS t FROM near GROUP BY incident_id
),
credited AS (
    SELECT n.incident_id, MAX(n.deployment_id) AS deployment_id
    FROM near n JOIN near_time l ON l.incident_id = n.incident_id AND l.t = n.t
    GROUP BY n.incident_id
    UNION ALL
    SELECT l.incident_id, l.deployment_id
    FROM linked l JOIN inc i ON i.incident_id = l.incident_id
),
hit AS (
    SELECT DISTINCT deployment_id FROM credited
),
sourced AS (
    SELECT DISTINCT r.deployment_id
    FROM incident_changes c JOIN change_ref r ON r.ref = c.deployment_id
),
counted AS (
    SELECT d.deployment_id, COALESCE(d.service, 'unknown') AS service,
           CASE WHEN h.deployment_id IS NULL THEN 0 ELSE 1 END AS with_incident
    FROM dep d
    LEFT JOIN hit h ON h.deployment_id = d.deployment_id
    LEFT JOIN sourced x ON x.deployment_id = d.deployment_id
    WHERE d.t >= :since AND d.t < :until
      AND ((d.production AND COALESCE(d.status, 'success') <> 'failure') OR d.incident_id IS NOT NULL
           OR x.deployment_id IS NOT NULL)
)
SELECT service,
       COUNT(*) AS deployments,
       SUM(with_incident) AS deployments_with_incident,
       SUM(with_incident) * 1.0 / COUNT(*) AS change_failure_rate
FROM counted
GROUP BY service
ORDER BY deployments_with_incident DESC, deployments DESC, service
