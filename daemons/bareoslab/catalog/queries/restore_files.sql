-- Newest version of every path+name among the selected jobs (dml/0036); a deleted-file
-- marker (FileIndex 0) as newest version removes the file from the restore. The last line
-- orders the rows by JobId and FileIndex, or is empty (no sort: SQLite's sorter holds 1 MiB).
SELECT JobId, FileIndex, Path, Name, LStat, Md5
  FROM (SELECT f.JobId, f.FileIndex, p.Path, f.Name, f.LStat, f.Md5,
               row_number() OVER (PARTITION BY f.PathId, f.Name
                                  ORDER BY j.JobTDate DESC, f.JobId DESC, f.FileIndex DESC) AS version
          FROM File f
          JOIN Job j ON j.JobId = f.JobId
          JOIN Path p ON p.PathId = f.PathId
         WHERE f.JobId IN ({job_ids})) newest
 WHERE version = 1
   AND FileIndex > 0
{order}
