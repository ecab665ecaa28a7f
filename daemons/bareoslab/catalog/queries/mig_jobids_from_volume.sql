-- Successful backups and copies with data on one volume.
SELECT DISTINCT j.JobId, j.StartTime
  FROM Media m
  JOIN JobMedia jm ON jm.MediaId = m.MediaId
  JOIN Job j ON j.JobId = jm.JobId
 WHERE m.VolumeName = ?
   AND m.Enabled = 1
   AND j.Type IN ('B', 'C')
   AND j.JobStatus IN ('T', 'W')
 ORDER BY j.StartTime
