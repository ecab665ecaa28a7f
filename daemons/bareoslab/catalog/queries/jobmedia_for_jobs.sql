-- What a bootstrap needs: volume, session and FileIndex/position ranges per chunk,
-- in the order the chunks were written, and the Storage that holds each volume.
SELECT {columns}
  FROM JobMedia jm
  JOIN Media m ON m.MediaId = jm.MediaId
  JOIN Job j ON j.JobId = jm.JobId
  LEFT JOIN Storage s ON s.StorageId = m.StorageId
 WHERE jm.JobId IN ({job_ids})
 ORDER BY j.JobTDate, jm.JobId, jm.JobMediaId
