-- Every job of one name in the pool, no type/status filter (the worker skips M jobs).
SELECT DISTINCT JobId, StartTime FROM Job WHERE Name = ? AND PoolId = ? ORDER BY StartTime
