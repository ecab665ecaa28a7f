-- bareoslab catalog, PostgreSQL flavour, schema version 2250.
--
-- Table and column names follow the Bareos catalog (see shared/reference/catalog.md);
-- names are unquoted, so PostgreSQL folds them to lower case.  Times are local
-- 'YYYY-MM-DD HH:MM:SS' values in TIMESTAMP WITHOUT TIME ZONE columns, JobTDate is
-- epoch seconds.  The whole script runs in one transaction (the caller opens it).

-- ---------------------------------------------------------------- file names
create table Path (
    PathId              serial          primary key,
    Path                text            not null
);
create unique index path_name_idx on Path (Path);

-- FileIndex 0 marks a deleted file (accurate mode); Name '' is a directory.
create table File (
    FileId              bigserial       primary key,
    FileIndex           integer         not null default 0,
    JobId               integer         not null,
    PathId              integer         not null,
    DeltaSeq            smallint        not null default 0,
    MarkId              integer         not null default 0,
    Fhinfo              numeric(20)     not null default 0,
    Fhnode              numeric(20)     not null default 0,
    LStat               text            not null,
    Md5                 text            not null,
    Name                text            not null
);
create index file_jpfid_idx on File (JobId, PathId, Name);
create index file_pjidpart_idx on File (PathId, JobId) where FileIndex = 0 and Name = '';

create table RestoreObject (
    RestoreObjectId     serial          primary key,
    ObjectName          text            not null,
    RestoreObject       bytea           not null,
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
    JobId               serial          primary key,
    Job                 text            not null,
    Name                text            not null,
    Type                char(1)         not null,
    Level               char(1)         not null,
    ClientId            integer         default 0,
    JobStatus           char(1)         not null,
    SchedTime           timestamp without time zone,
    StartTime           timestamp without time zone,
    EndTime             timestamp without time zone,
    RealEndTime         timestamp without time zone,
    JobTDate            bigint          default 0,
    VolSessionId        integer         default 0,
    VolSessionTime      integer         default 0,
    JobFiles            integer         default 0,
    JobBytes            bigint          default 0,
    ReadBytes           bigint          default 0,
    JobErrors           integer         default 0,
    JobMissingFiles     integer         default 0,
    PoolId              integer         default 0,
    FileSetId           integer         default 0,
    PriorJobId          integer         default 0,
    PurgedFiles         smallint        default 0,
    HasBase             smallint        default 0,
    HasCache            smallint        default 0,
    Reviewed            smallint        default 0,
    Comment             text
);
create index job_name_idx on Job (Name);

-- long term statistics: same columns as Job
create table JobHisto (like Job);
create index jobhisto_idx on JobHisto (StartTime);

create table Log (
    LogId               serial          primary key,
    JobId               integer         not null,
    Time                timestamp without time zone,
    LogText             text            not null
);
create index log_name_idx on Log (JobId);

create table BaseFiles (
    BaseId              bigserial       primary key,
    JobId               integer         not null,
    FileId              bigint          not null,
    FileIndex           integer,
    BaseJobId           integer
);
create index basefiles_jobid_idx on BaseFiles (JobId);

-- bvfs cache
create table PathHierarchy (
    PathId              integer         not null,
    PPathId             integer         not null,
    constraint pathhierarchy_pkey primary key (PathId)
);
create index pathhierarchy_ppathid on PathHierarchy (PPathId);

create table PathVisibility (
    PathId              integer         not null,
    JobId               integer         not null,
    Size                bigint          default 0,
    Files               integer         default 0,
    constraint pathvisibility_pkey primary key (JobId, PathId)
);

-- ---------------------------------------------------------------- configuration mirrors
create table Client (
    ClientId            serial          primary key,
    Name                text            not null,
    UName               text            not null,
    AutoPrune           smallint        default 0,
    FileRetention       bigint          default 0,
    JobRetention        bigint          default 0
);
create unique index client_name_idx on Client (Name);

create table FileSet (
    FileSetId           serial          primary key,
    FileSet             text            not null,
    FileSetText         text            default '',
    Md5                 text            not null,
    CreateTime          timestamp without time zone not null
);
create index fileset_name_idx on FileSet (FileSet);

create table Pool (
    PoolId              serial          primary key,
    Name                text            not null,
    NumVols             integer         default 0,
    MaxVols             integer         default 0,
    UseOnce             smallint        default 0,
    UseCatalog          smallint        default 0,
    AcceptAnyVolume     smallint        default 0,
    VolRetention        bigint          default 0,
    VolUseDuration      bigint          default 0,
    MaxVolJobs          integer         default 0,
    MaxVolFiles         integer         default 0,
    MaxVolBytes         bigint          default 0,
    AutoPrune           smallint        default 0,
    Recycle             smallint        default 0,
    ActionOnPurge       smallint        default 0,
    PoolType            text,
    LabelType           integer         default 0,
    LabelFormat         text            not null,
    Enabled             smallint        default 1,
    ScratchPoolId       integer         default 0,
    RecyclePoolId       integer         default 0,
    NextPoolId          integer         default 0,
    MinBlockSize        integer         default 0,
    MaxBlockSize        integer         default 0,
    MigrationHighBytes  bigint          default 0,
    MigrationLowBytes   bigint          default 0,
    MigrationTime       bigint          default 0,
    constraint pool_pooltype_check
        check (PoolType in ('Backup', 'Copy', 'Cloned', 'Archive', 'Migration', 'Scratch'))
);
create index pool_name_idx on Pool (Name);

create table Storage (
    StorageId           serial          primary key,
    Name                text            not null,
    AutoChanger         integer         default 0
);

create table MediaType (
    MediaTypeId         serial          primary key,
    MediaType           text            not null,
    ReadOnly            integer         default 0
);

create table Device (
    DeviceId                    serial      primary key,
    Name                        text        not null,
    MediaTypeId                 integer     not null,
    StorageId                   integer     not null,
    DevMounts                   integer     not null default 0,
    DevReadBytes                bigint      not null default 0,
    DevWriteBytes               bigint      not null default 0,
    DevReadBytesSinceCleaning   bigint      not null default 0,
    DevWriteBytesSinceCleaning  bigint      not null default 0,
    DevReadTime                 bigint      not null default 0,
    DevWriteTime                bigint      not null default 0,
    DevReadTimeSinceCleaning    bigint      not null default 0,
    DevWriteTimeSinceCleaning   bigint      not null default 0,
    CleaningDate                timestamp without time zone,
    CleaningPeriod              bigint      not null default 0
);

-- ---------------------------------------------------------------- volumes
create table Media (
    MediaId             serial          primary key,
    VolumeName          text            not null,
    Slot                bigint          default 0,
    PoolId              integer         default 0,
    MediaType           text            not null,
    MediaTypeId         integer         default 0,
    LabelType           integer         default 0,
    FirstWritten        timestamp without time zone,
    LastWritten         timestamp without time zone,
    LabelDate           timestamp without time zone,
    VolJobs             bigint          default 0,
    VolFiles            bigint          default 0,
    VolBlocks           bigint          default 0,
    VolMounts           bigint          default 0,
    VolBytes            bigint          default 0,
    VolErrors           bigint          default 0,
    VolWrites           bigint          default 0,
    VolCapacityBytes    bigint          default 0,
    VolStatus           text            not null,
    Enabled             smallint        default 1,
    Recycle             smallint        default 0,
    ActionOnPurge       smallint        default 0,
    VolRetention        bigint          default 0,
    VolUseDuration      bigint          default 0,
    MaxVolJobs          bigint          default 0,
    MaxVolFiles         bigint          default 0,
    MaxVolBytes         bigint          default 0,
    InChanger           smallint        default 0,
    StorageId           integer         default 0,
    DeviceId            integer         default 0,
    MediaAddressing     smallint        default 0,
    VolReadTime         bigint          default 0,
    VolWriteTime        bigint          default 0,
    EndFile             bigint          default 0,
    EndBlock            bigint          default 0,
    LocationId          integer         default 0,
    RecycleCount        bigint          default 0,
    MinBlockSize        bigint          default 0,
    MaxBlockSize        bigint          default 0,
    InitialWrite        timestamp without time zone,
    ScratchPoolId       integer         default 0,
    RecyclePoolId       integer         default 0,
    EncryptionKey       text,
    Comment             text,
    constraint media_volstatus_check
        check (VolStatus in ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                             'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                             'Scratch'))
);
create unique index media_volumename_id on Media (VolumeName);
create index media_poolid_idx on Media (PoolId);

-- one row per job x volume x written chunk
create table JobMedia (
    JobMediaId          serial          primary key,
    JobId               integer         not null,
    MediaId             integer         not null,
    FirstIndex          integer         default 0,
    LastIndex           integer         default 0,
    StartFile           integer         default 0,
    EndFile             integer         default 0,
    StartBlock          bigint          default 0,
    EndBlock            bigint          default 0,
    JobBytes            numeric(20)     default 0,
    VolIndex            integer         default 0
);
create index job_media_job_id_media_id_idx on JobMedia (JobId, MediaId);
create index job_media_media_id_job_id_idx on JobMedia (MediaId, JobId);

create table Location (
    LocationId          serial          primary key,
    Location            text            not null,
    Cost                integer         default 0,
    Enabled             smallint
);

create table LocationLog (
    LocLogId            serial          primary key,
    Date                timestamp without time zone,
    Comment             text            not null,
    MediaId             integer         default 0,
    LocationId          integer         default 0,
    NewVolStatus        text            not null,
    NewEnabled          smallint,
    constraint locationlog_newvolstatus_check
        check (NewVolStatus in ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                                'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                                'Scratch'))
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
    GraceTime           bigint          default 0,
    QuotaLimit          bigint          default 0
);

create table NDMPLevelMap (
    ClientId            integer         not null,
    FileSetId           integer         default 0,
    FileSystem          text            not null,
    DumpLevel           integer         not null,
    constraint ndmplevelmap_pkey primary key (ClientId, FileSetId, FileSystem)
);

create table NDMPJobEnvironment (
    JobId               integer         not null,
    FileIndex           integer         not null,
    EnvName             text            not null,
    EnvValue            text            not null,
    constraint ndmpjobenvironment_pkey primary key (JobId, FileIndex, EnvName)
);

create table DeviceStats (
    DeviceId            integer         default 0,
    SampleTime          timestamp without time zone not null,
    ReadTime            bigint          not null default 0,
    WriteTime           bigint          not null default 0,
    ReadBytes           bigint          default 0,
    WriteBytes          bigint          default 0,
    SpoolSize           bigint          default 0,
    NumWaiting          smallint        default 0,
    NumWriters          smallint        default 0,
    MediaId             integer         not null,
    VolCatBytes         bigint          default 0,
    VolCatFiles         bigint          default 0,
    VolCatBlocks        bigint          default 0
);

create table JobStats (
    DeviceId            integer         default 0,
    SampleTime          timestamp without time zone not null,
    JobId               integer         not null,
    JobFiles            integer         default 0,
    JobBytes            bigint          default 0
);

create table TapeAlerts (
    DeviceId            integer         default 0,
    SampleTime          timestamp without time zone not null,
    AlertFlags          bigint          default 0
);

create table Status (
    JobStatus           char(1)         primary key,
    JobStatusLong       text,
    Severity            integer
);

create table Version (
    VersionId           integer         not null
);

-- ---------------------------------------------------------------- LStat helpers
-- Bareos' base64 integer: optional '-', then 6-bit digits A-Z a-z 0-9 + /, most
-- significant first.  Stops at the first character outside the alphabet.
create function bareos_frombase64(field text) returns bigint
language plpgsql immutable parallel safe as $fn$
declare
    alphabet constant text := 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    result bigint := 0;
    pos integer := 1;
    digit integer;
    negative boolean := false;
begin
    if field is null then
        return null;
    end if;
    if substr(field, 1, 1) = '-' then
        negative := true;
        pos := 2;
    end if;
    while pos <= length(field) loop
        digit := strpos(alphabet, substr(field, pos, 1)) - 1;
        exit when digit < 0;
        result := (result << 6) + digit;
        pos := pos + 1;
    end loop;
    if negative then
        return -result;
    end if;
    return result;
end
$fn$;

-- The 16 LStat fields as integers; params limits which ones are decoded.
create function decode_lstat(
    lst text,
    params text[] default array['st_dev', 'st_ino', 'st_mode', 'st_nlink', 'st_uid', 'st_gid',
                                'st_rdev', 'st_size', 'st_blksize', 'st_blocks', 'st_atime',
                                'st_mtime', 'st_ctime', 'linkfi', 'st_flags', 'data'])
returns table (
    st_dev bigint, st_ino bigint, st_mode bigint, st_nlink bigint, st_uid bigint,
    st_gid bigint, st_rdev bigint, st_size bigint, st_blksize bigint, st_blocks bigint,
    st_atime bigint, st_mtime bigint, st_ctime bigint, linkfi bigint, st_flags bigint,
    data bigint)
language plpgsql immutable parallel safe as $fn$
declare
    names constant text[] := array['st_dev', 'st_ino', 'st_mode', 'st_nlink', 'st_uid', 'st_gid',
                                   'st_rdev', 'st_size', 'st_blksize', 'st_blocks', 'st_atime',
                                   'st_mtime', 'st_ctime', 'linkfi', 'st_flags', 'data'];
    parts text[] := string_to_array(lst, ' ');
    v bigint[] := array_fill(null::bigint, array[16]);
begin
    for i in 1..16 loop
        if names[i] = any (params) then
            v[i] := bareos_frombase64(parts[i]);
        end if;
    end loop;
    return query select v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10],
                        v[11], v[12], v[13], v[14], v[15], v[16];
end
$fn$;
