-- What ingest refused: rejected records per file and kind of problem, with the first reason (every reject, with its place, is in the rejects table).
SELECT r.file,
       COALESCE(r.problem, 'not recorded') AS problem,
       COUNT(*) AS records,
       MIN(r.reason) AS first_reason
FROM rejects r
GROUP BY r.file, COALESCE(r.problem, 'not recorded')
ORDER BY records DESC, r.file, problem
