-- Action items with no owner, open ones first.
-- param since date 2000-01-01: created on or after this day
SELECT item_id, incident_id, title, COALESCE(team, 'unknown') AS team, status, created_at,
       CASE WHEN status = 'open' THEN 0 ELSE 1 END AS open_first
FROM action_items
WHERE owner IS NULL AND EXTRACT(EPOCH FROM created_at) >= :since
ORDER BY open_first, created_at, item_id
