-- Successful backups and copies with data on the given volumes.
SELECT DISTINCT j.JobId, j.StartTime, j.JobBytes
  FROM JobMedia jm
  JOIN Job j ON j.JobId = jm.JobId
 WHERE jm.MediaId IN ({media_ids})
   AND j.Type IN ('B', 'C')
   AND j.JobStatus IN ('T', 'W')
 ORDER BY j.StartTime
