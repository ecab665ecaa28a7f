-- Successful jobs of one client and fileset name with data on an enabled volume
-- (dml/0020..0024).  The caller appends the level, time and ordering conditions.
-- Parameters: ClientId, Type, FileSet name, the two OK statuses.
SELECT {columns}
  FROM Job j
  JOIN FileSet fs ON fs.FileSetId = j.FileSetId
 WHERE j.ClientId = ?
   AND j.Type = ?
   AND fs.FileSet = ?
   AND j.JobStatus IN (?, ?)
   AND EXISTS (SELECT 1
                 FROM JobMedia jm
                 JOIN Media m ON m.MediaId = jm.MediaId
                WHERE jm.JobId = j.JobId
                  AND m.Enabled = 1)
