# The queries of the console's "query" command, in the format of Bareos' query file:
# a line ":<title>" starts a query, "*<question>" asks the user for a value that the
# query's SQL uses as %1, %2 ... (the first question is %1), "#" is a comment, and a
# statement ends with ";". A statement starting with "!" is listed vertically.
# The Director reads the file named by its "Query File" directive; this one is used when
# that directive is not set and Bareos' default file does not exist.
:List the jobs of a client
*Enter Client name:
SELECT Job.JobId, Job.Name, Job.StartTime, Job.Type, Job.Level, Job.JobFiles, Job.JobBytes, Job.JobStatus
  FROM Job JOIN Client ON Client.ClientId = Job.ClientId
 WHERE Client.Name = '%1'
 ORDER BY Job.StartTime, Job.JobId;
:List the volumes a job was written to
*Enter JobId:
SELECT DISTINCT Media.VolumeName, Media.MediaType, Media.VolStatus, JobMedia.FirstIndex, JobMedia.LastIndex
  FROM JobMedia JOIN Media ON Media.MediaId = JobMedia.MediaId
 WHERE JobMedia.JobId = '%1'
 ORDER BY JobMedia.FirstIndex;
:List the jobs on a volume
*Enter Volume name:
SELECT DISTINCT Job.JobId, Job.Name, Job.StartTime, Job.Type, Job.Level, Job.JobFiles, Job.JobBytes, Job.JobStatus
  FROM Job JOIN JobMedia ON JobMedia.JobId = Job.JobId JOIN Media ON Media.MediaId = JobMedia.MediaId
 WHERE Media.VolumeName = '%1'
 ORDER BY Job.JobId;
:List the jobs that saved a file
*Enter Client name:
*Enter the file's directory, with a slash at the end:
*Enter the file's name:
SELECT Job.JobId, Job.Name, Job.StartTime, Job.Level, File.FileIndex, File.Md5
  FROM File JOIN Job ON Job.JobId = File.JobId JOIN Path ON Path.PathId = File.PathId
  JOIN Client ON Client.ClientId = Job.ClientId
 WHERE Client.Name = '%1' AND Path.Path = '%2' AND File.Name = '%3' AND File.FileIndex > 0
 ORDER BY Job.StartTime;
:List the volumes of a pool
*Enter Pool name:
SELECT Media.MediaId, Media.VolumeName, Media.VolStatus, Media.VolBytes, Media.VolJobs, Media.LastWritten
  FROM Media JOIN Pool ON Pool.PoolId = Media.PoolId
 WHERE Pool.Name = '%1'
 ORDER BY Media.MediaId;
:List the jobs that did not end well
SELECT Job.JobId, Job.Name, Job.StartTime, Job.Type, Job.Level, Job.JobErrors, Job.JobStatus
  FROM Job
 WHERE Job.JobStatus NOT IN ('T', 'W', 'R', 'C', 'F', 'S', 'm', 'M', 's', 'j', 'c', 'd', 't', 'p', 'q')
 ORDER BY Job.StartTime;
:Show the files and bytes saved per client
SELECT Client.Name AS Client, count(Job.JobId) AS Jobs, sum(Job.JobFiles) AS Files, sum(Job.JobBytes) AS Bytes
  FROM Client JOIN Job ON Job.ClientId = Client.ClientId
 WHERE Job.Type = 'B'
 GROUP BY Client.Name
 ORDER BY Client.Name;
:Show a job's record
*Enter JobId:
!SELECT * FROM Job WHERE JobId = '%1';
