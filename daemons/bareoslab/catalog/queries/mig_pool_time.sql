-- Successful backups and copies on closed volumes of the pool that ended before a time (PoolTime).
SELECT DISTINCT j.JobId, j.StartTime
  FROM Job j
  JOIN JobMedia jm ON jm.JobId = j.JobId
  JOIN Media m ON m.MediaId = jm.MediaId
 WHERE m.PoolId = ?
   AND j.PoolId = m.PoolId
   AND m.VolStatus IN ('Full', 'Used', 'Error')
   AND m.Enabled = 1
   AND j.Type IN ('B', 'C')
   AND j.JobStatus IN ('T', 'W')
   AND j.RealEndTime <= ?
 ORDER BY j.StartTime
