-- Clients with jobs in the read pool (Selection Type = Client).
SELECT DISTINCT c.Name FROM Client c JOIN Job j ON j.ClientId = c.ClientId WHERE j.PoolId = ?
