-- Closed, enabled volumes of the read pool (Selection Type = Volume); Append never qualifies.
SELECT DISTINCT VolumeName
  FROM Media
 WHERE PoolId = ?
   AND VolStatus IN ('Full', 'Used', 'Error')
   AND Enabled = 1
