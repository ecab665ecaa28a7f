"""Usage lines of the console commands whose modules the Director imports when one of them
first runs (see ``commands._later``): the command table needs them before that."""

SETBANDWIDTH_USAGE = ("[ client=<client-name> | storage=<storage-name> | jobid=<jobid> | job=<job-name> "
                      "| ujobid=<unique-jobid> state=<job_state> | all ] limit=<nn-kbs> [ yes ]")
CONFIGURE_USAGE = (
    "configure add <resourcetype> name=<name> <directive>=<value> ... | configure export client=<clientname>"
)
MOUNT_USAGE = "mount storage=<storage-name> [slot=<num>] [drive=<num>]"
UNMOUNT_USAGE = "unmount storage=<storage-name> [drive=<num>]"
RELEASE_USAGE = "release storage=<storage-name> [drive=<num>]"
ESTIMATE_USAGE = "fileset=<fileset-name> client=<client-name> level=<level> accurate=<yes/no> job=<job-name> listing"
ADD_USAGE = "add pool=<pool-name> storage=<storage-name> jobid=<jobid>"
RELABEL_USAGE = "relabel storage=<storage-name> oldvolume=<old-volume-name> volume=<new-volume-name> pool=<pool-name>"
SHOW_USAGE = (
    "show directors | jobs | jobdefs | clients | storages | pools | filesets | schedules | messages "
    "| catalogs | consoles | profiles | all | <type>=<name>"
)
UPDATE_USAGE = (
    "update volume=<volume-name> [volstatus=<status>] [volretention=<time>] [pool=<pool>] "
    "[enabled=yes|no] [recycle=yes|no] [maxvoljobs=<n>] [maxvolfiles=<n>] [maxvolbytes=<size>] "
    "[slot=<n>] [inchanger=yes|no] | pool=<pool> | slots [storage=<storage>] | stats [days=<n>] "
    "| jobid=<id> [jobname=<name>] [starttime=<time>] [client=<client>] [filesetid=<id>] [jobtype=<type>]"
)
TRUNCATE_USAGE = (
    "truncate volstatus=Purged [storage=<storage>] [pool=<pool>] [volume=<volume>] [drive=<drivenum>] [yes]"
)
