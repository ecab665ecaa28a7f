-- Successful backups/archives of the pool with data that no successful backup or copy
-- names as its PriorJobId (PoolUncopiedJobs, copy only).
SELECT DISTINCT JobId, StartTime
  FROM Job
 WHERE PoolId = ?
   AND Type IN ('B', 'A')
   AND JobStatus IN ('T', 'W')
   AND JobBytes > 0
   AND JobId NOT IN (SELECT PriorJobId
                       FROM Job
                      WHERE Type IN ('B', 'C')
                        AND JobStatus IN ('T', 'W')
                        AND PriorJobId <> 0)
 ORDER BY StartTime
