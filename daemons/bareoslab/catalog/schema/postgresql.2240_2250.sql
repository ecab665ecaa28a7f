-- Upgrade a Bareos 24 catalog (2240) to 2250: 'Unlabeled' becomes a valid volume status.
alter table Media drop constraint if exists media_volstatus_check;
alter table Media add constraint media_volstatus_check
    check (VolStatus in ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                         'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                         'Scratch'));
alter table LocationLog drop constraint if exists locationlog_newvolstatus_check;
alter table LocationLog add constraint locationlog_newvolstatus_check
    check (NewVolStatus in ('Unlabeled', 'Full', 'Archive', 'Append', 'Recycle', 'Purged',
                            'Read-Only', 'Disabled', 'Error', 'Busy', 'Used', 'Cleaning',
                            'Scratch'));
drop view if exists backup_unit_overview;
drop view if exists latest_full_size_categorized;
update Version set VersionId = 2250;
