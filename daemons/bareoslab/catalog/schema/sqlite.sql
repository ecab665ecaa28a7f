-- bareoslab catalog, SQLite flavour, schema version 2250.
--
-- Same table and column names as the PostgreSQL schema.  Ids are INTEGER PRIMARY KEY
-- AUTOINCREMENT (so sqlite_sequence plays the part of the PostgreSQL sequences), times
-- are TEXT 'YYYY-MM-DD HH:MM:SS' in local time, unset times are NULL.

-- ---------------------------------------------------------------- file names
create table Path (
    PathId              integer         primary key autoincrement,
    Path                text            not null
);
create unique index path_name_idx on Path (Path);

-- FileIndex 0 marks a deleted file (accurate mode); Name '' is a directory.
create table File (
    FileId              integer         primary key autoincrement,
    FileIndex           integer         not null default 0,
    JobId               integer         not null,
    PathId              integer         not null,
    DeltaSeq            integer         not null default 0,
    MarkId              integer         not null default 0,
    Fhinfo              integer         not null default 0,
    Fhnode              integer         not null default 0,
    LStat               text            not null,
    Md5                 text            not null,
    Name                text            not null
);
create index file_jpfid_idx on File (JobId, PathId, Name);
create index file_pjidpart_idx on File (PathId, JobId) where FileIndex = 0 and Name = '';

create table RestoreObject (
    RestoreObjectId     integer         primary key autoincrement,
    ObjectName          text            not null,
    RestoreObject       blob            not null,
    PluginName          text            not null,
    ObjectLength        integer         default 0,
    ObjectFullLength    integer         default 0,
    ObjectIndex         integer         default 0,
    ObjectType          integer         default 0,
    FileIndex           integer         default 0,
    JobId               integer,
    ObjectCompression   integer         default 0
);
create index restore_jobid_idx on RestoreObject (JobId);

-- ---------------------------------------------------------------- jobs
create table Job (
    JobId               integer         primary key autoincrement,
    Job                 text            not null,
    Name                text            not null,
    Type                char(1)         not null,
    Level               char(1)         not null,
    ClientId            integer         default 0,
    JobStatus           char(1)         not null,
    SchedTime           text,
    StartTime           text,
    EndTime             text,
    RealEndTime         text,
    JobTDate            integer         default 0,
    VolSessionId        integer         default 0,
    VolSessionTime      integer         default 0,
    JobFiles            integer         default 0,
    JobBytes            integer         default 0,
    ReadBytes           integer         default 0,
    JobErrors           integer         default 0,
    JobMissingFiles     integer         default 0,
    PoolId              integer         default 0,
    FileSetId           integer         default 0,
    PriorJobId          integer         default 0,
    PurgedFiles         integer         default 0,
    HasBase             integer         default 0,
    HasCache            integer         default 0,
    Reviewed            integer         default 0,
    Comment             text
);
create index job_name_idx on Job (Name);

-- long term statistics: same columns as Job
create table JobHisto (
    JobId               integer         not null,
    Job                 text            not null,
    Name                text            not null,
    Type                char(1)         not null,
    Level               char(1)         not null,
    ClientId            integer         default 0,
    JobStatus           char(1)         not null,
    SchedTime           text,
    StartTime           text,
    EndTime             text,
    RealEndTime         text,
    JobTDate            integer         default 0,
    VolSessionId        integer         default 0,
    VolSessionTime      integer         default 0,
    JobFiles            integer         default 0,
    JobBytes            integer         default 0,
    ReadBytes           integer         default 0,
    JobErrors           integer         default 0,
    JobMissingFiles     integer         default 0,
    PoolId              integer         default 0,
    FileSetId           integer         default 0,
    PriorJobId          integer         default 0,
    PurgedFiles         integer         default 0,
    HasBase             integer         default 0,
    HasCache            integer         default 0,
    Reviewed            integer         default 0,
    Comment             text
);
create index jobhisto_idx on JobHisto (StartTime);

create table Log (
    LogId               integer         primary key autoincrement,
    JobId               integer         not null,
    Time                text,
    LogText             text            not null
);
create index log_name_idx on Log (JobId);

create table BaseFiles (
    BaseId              integer         primary key autoincrement,
    JobId               integer         not null,
    FileId              integer         not null,
    FileIndex           integer,
    BaseJobId           integer
);
create index basefiles_jobid_idx on BaseFiles (JobId);

-- bvfs cache
create table PathHierarchy (
    PathId              integer         not null primary key,
    PPathId             integer         not null
);
create index pathhierarchy_ppathid on PathHierarchy (PPathId);

create table PathVisibility (
    PathId              integer         not null,
    JobId               integer         not null,
    Size                integer         default 0,
    Files               integer         default 0,
    primary key (JobId, PathId)
);

-- ---------------------------------------------------------------- configuration mirrors
create table Client (
    ClientId            integer         primary key autoincrement,
    Name                text            not null,
    UName               text            not null,
    AutoPrune           integer         default 0,
    FileRetention       integer         default 0,
    JobRetention        integer         default 0
);
create unique index client_name_idx on Client (Name);

create table FileSet (
    FileSetId           integer         primary key autoincrement,
    FileSet             text            not null,
    FileSetText         text            default '',
    Md5                 text            not null,
    CreateTime          text            not null
);
create index fileset_name_idx on FileSet (FileSet);

create table Pool (
    PoolId              integer         primary key autoincrement,
    Name                text            not null,
    NumVols             integer         default 0,
    MaxVols             integer         default 0,
    UseOnce             integer         default 0,
    UseCatalog          integer         default 0,
    AcceptAnyVolume     integer         default 0,
    VolRetention        integer         default 0,
    VolUseDuration      integer         default 0,
    MaxVolJobs          integer         default 0,
    MaxVolFiles         integer         default 0,
    MaxVolBytes         integer         default 0,
    AutoPrune           integer         default 0,
    Recycle             integer         default 0,
    ActionOnPurge       integer         default 0,
    PoolType            text
        check (PoolType in ('Backup', 'Copy', 'Cloned', 'Archive', 'Migration', 'Scratch')),
    LabelType           integer         default 0,
    LabelFormat         text            not null,
    Enabled             integer         default 1,
    ScratchPoolId       integer         default 0,
    RecyclePoolId       integer         default 0,
    NextPoolId          integer         default 0,
    MinBlockSize        integer         default 0,
    MaxBlockSize        integer         default 0,
    MigrationHighBytes  integer         default 0,
    MigrationLowBytes   integer         default 0,
    MigrationTime       integer         default 0
);
create index pool_name_idx on Pool (Name);

create table Storage (
    StorageId           integer         primary key autoincrement,
    Name                text            not null,
    AutoChanger         integer         default 0
);

create table MediaType (
    MediaTypeId         integer         primary key autoincrement,
    MediaType           text            not null,
    ReadOnly            integer         default 0
);

create table Device (
    DeviceId                    integer     primary key autoincrement,
    Name                        text        not null,
    MediaTypeId                 integer     not null,
    StorageId                   integer     not null,
    DevMounts                   integer     not null default 0,
    DevReadBytes                integer     not null default 0,
    DevWriteBytes               integer     not null default 0,
    DevReadBytesSinceCleaning   integer     not null default 0,
    DevWriteBytesSinceCleaning  integer     not null default 0,
    DevReadTime                 integer     not null default 0,
    DevWriteTime                integer     not null default 0,
    DevReadTimeSinceCleaning    integer     not null default 0,
    DevWriteTimeSinceCleaning   integer     not null default 0,
    CleaningDate                text,
    CleaningPeriod              integer     not null default 0
);

-- ---------------------------------------------------------------- volumes
create table Media (
    MediaId             integer         primary key autoincrement,
    VolumeName          text            not null,
    Slot                integer         default 0,
    PoolId              integer         default 0,
    MediaType           text            not null,
    MediaTypeId         integer         default 0,
    LabelType           integer         default 0,
    FirstWritten        text,
    LastWritten         text,
    LabelDate           text,
    VolJobs             integer         default 0,
    VolFiles            integer         default 0,
    VolBlocks           integer         default 0,
    VolMounts           integer         default 0,
    VolBytes            integer         default 0,
    VolErrors           integer         default 0,
    VolWrites           integer         default 0,
    VolCapacityBytes    integer         default 0,
    VolStatus           text            not null
        check (VolStatus in ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                             'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                             'Scratch')),
    Enabled             integer         default 1,
    Recycle             integer         default 0,
    ActionOnPurge       integer         default 0,
    VolRetention        integer         default 0,
    VolUseDuration      integer         default 0,
    MaxVolJobs          integer         default 0,
    MaxVolFiles         integer         default 0,
    MaxVolBytes         integer         default 0,
    InChanger           integer         default 0,
    StorageId           integer         default 0,
    DeviceId            integer         default 0,
    MediaAddressing     integer         default 0,
    VolReadTime         integer         default 0,
    VolWriteTime        integer         default 0,
    EndFile             integer         default 0,
    EndBlock            integer         default 0,
    LocationId          integer         default 0,
    RecycleCount        integer         default 0,
    MinBlockSize        integer         default 0,
    MaxBlockSize        integer         default 0,
    InitialWrite        text,
    ScratchPoolId       integer         default 0,
    RecyclePoolId       integer         default 0,
    EncryptionKey       text,
    Comment             text
);
create unique index media_volumename_id on Media (VolumeName);
create index media_poolid_idx on Media (PoolId);

-- one row per job x volume x written chunk
create table JobMedia (
    JobMediaId          integer         primary key autoincrement,
    JobId               integer         not null,
    MediaId             integer         not null,
    FirstIndex          integer         default 0,
    LastIndex           integer         default 0,
    StartFile           integer         default 0,
    EndFile             integer         default 0,
    StartBlock          integer         default 0,
    EndBlock            integer         default 0,
    JobBytes            integer         default 0,
    VolIndex            integer         default 0
);
create index job_media_job_id_media_id_idx on JobMedia (JobId, MediaId);
create index job_media_media_id_job_id_idx on JobMedia (MediaId, JobId);

create table Location (
    LocationId          integer         primary key autoincrement,
    Location            text            not null,
    Cost                integer         default 0,
    Enabled             integer
);

create table LocationLog (
    LocLogId            integer         primary key autoincrement,
    Date                text,
    Comment             text            not null,
    MediaId             integer         default 0,
    LocationId          integer         default 0,
    NewVolStatus        text            not null
        check (NewVolStatus in ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                                'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                                'Scratch')),
    NewEnabled          integer
);

-- ---------------------------------------------------------------- misc
create table Counters (
    Counter             text            primary key,
    MinValue            integer         default 0,
    MaxValue            integer         default 0,
    CurrentValue        integer         default 0,
    WrapCounter         text            not null
);

create table Quota (
    ClientId            integer         primary key,
    GraceTime           integer         default 0,
    QuotaLimit          integer         default 0
);

create table NDMPLevelMap (
    ClientId            integer         not null,
    FileSetId           integer         default 0,
    FileSystem          text            not null,
    DumpLevel           integer         not null,
    primary key (ClientId, FileSetId, FileSystem)
);

create table NDMPJobEnvironment (
    JobId               integer         not null,
    FileIndex           integer         not null,
    EnvName             text            not null,
    EnvValue            text            not null,
    primary key (JobId, FileIndex, EnvName)
);

create table DeviceStats (
    DeviceId            integer         default 0,
    SampleTime          text            not null,
    ReadTime            integer         not null default 0,
    WriteTime           integer         not null default 0,
    ReadBytes           integer         default 0,
    WriteBytes          integer         default 0,
    SpoolSize           integer         default 0,
    NumWaiting          integer         default 0,
    NumWriters          integer         default 0,
    MediaId             integer         not null,
    VolCatBytes         integer         default 0,
    VolCatFiles         integer         default 0,
    VolCatBlocks        integer         default 0
);

create table JobStats (
    DeviceId            integer         default 0,
    SampleTime          text            not null,
    JobId               integer         not null,
    JobFiles            integer         default 0,
    JobBytes            integer         default 0
);

create table TapeAlerts (
    DeviceId            integer         default 0,
    SampleTime          text            not null,
    AlertFlags          integer         default 0
);

create table Status (
    JobStatus           char(1)         primary key,
    JobStatusLong       text,
    Severity            integer
);

create table Version (
    VersionId           integer         not null
);

-- PostgreSQL sequences read by the Bareos system tests, answered from sqlite_sequence:
-- SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS jobid FROM job_jobid_seq;
create view job_jobid_seq as
    select coalesce((select seq from sqlite_sequence where name = 'Job'), 0) as last_value,
           exists (select 1 from sqlite_sequence where name = 'Job') as is_called;
create view media_mediaid_seq as
    select coalesce((select seq from sqlite_sequence where name = 'Media'), 0) as last_value,
           exists (select 1 from sqlite_sequence where name = 'Media') as is_called;
