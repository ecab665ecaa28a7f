-- Bytes of the successful backups and copies stored on the pool's volumes (PoolOccupancy).
SELECT SUM(JobBytes)
  FROM Job
 WHERE JobId IN (SELECT DISTINCT j.JobId
                   FROM Job j
                   JOIN JobMedia jm ON jm.JobId = j.JobId
                   JOIN Media m ON m.MediaId = jm.MediaId
                  WHERE m.PoolId = ?
                    AND j.PoolId = m.PoolId
                    AND m.VolStatus IN ('Full', 'Used', 'Error', 'Append')
                    AND m.Enabled = 1
                    AND j.Type IN ('B', 'C')
                    AND j.JobStatus IN ('T', 'W'))
