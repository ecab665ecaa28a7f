-- Closed, enabled volumes of the pool that hold jobs; the caller appends the ordering
-- (SmallestVolume: VolBytes, OldestVolume and PoolOccupancy: LastWritten).
SELECT MediaId, VolBytes, LastWritten
  FROM Media
 WHERE PoolId = ?
   AND VolStatus IN ('Full', 'Used', 'Error')
   AND Enabled = 1
   AND MediaId IN (SELECT DISTINCT MediaId FROM JobMedia)
