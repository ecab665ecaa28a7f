-- File rows of the batch table, each joined to its PathId.
INSERT INTO File (FileIndex, JobId, PathId, Name, LStat, Md5, DeltaSeq, Fhinfo, Fhnode)
SELECT b.FileIndex, b.JobId, p.PathId, b.Name, b.LStat, b.Md5, b.DeltaSeq, b.Fhinfo, b.Fhnode
  FROM batch b
  JOIN Path p ON p.Path = b.Path
