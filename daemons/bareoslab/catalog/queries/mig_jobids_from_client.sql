-- Successful backups and copies of one client in the pool.
SELECT DISTINCT j.JobId, j.StartTime
  FROM Job j
  JOIN Client c ON c.ClientId = j.ClientId
 WHERE c.Name = ?
   AND j.PoolId = ?
   AND j.Type IN ('B', 'C')
   AND j.JobStatus IN ('T', 'W')
 ORDER BY j.StartTime
