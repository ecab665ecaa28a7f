-- Paths of the batch table that are not in Path yet (cats/sql_create.cc: batch_fill_path).
-- ON CONFLICT keeps a concurrent writer of the same path from failing the batch.
INSERT INTO Path (Path)
SELECT DISTINCT b.Path
  FROM batch b
 WHERE NOT EXISTS (SELECT 1 FROM Path p WHERE p.Path = b.Path)
ON CONFLICT (Path) DO NOTHING
