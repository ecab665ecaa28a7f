-- Job names in the read pool (copy/migrate Selection Type = Job).
SELECT DISTINCT Name FROM Job WHERE PoolId = ?
