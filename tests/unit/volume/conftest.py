import pytest
from bareoslab.codes import JobLevel, JobStatus, JobType, VolumeLabel
from bareoslab.volume.device import FileDevice
from bareoslab.volume.label import SessionLabel

# small blocks keep the tests fast and make records cross block boundaries
BLOCK_SIZE = 1024
VOLUME = "Full-0001"


@pytest.fixture
def device(tmp_path):
    return FileDevice(
        "FileStorage", "File", tmp_path, maximum_block_size=BLOCK_SIZE, label_block_size=BLOCK_SIZE
    )


@pytest.fixture
def labelled(device):
    """A freshly labelled volume; returns its name."""
    device.label(VOLUME, "Full", host_name="sd-host", prog_name="bareos-sd")
    return VOLUME


@pytest.fixture
def session_label():
    """Factory of SOS/EOS labels for a job."""

    def make(job_id=1, eos=False, **fields):
        return SessionLabel(
            label_type=VolumeLabel.EOS_LABEL if eos else VolumeLabel.SOS_LABEL,
            job_id=job_id,
            job_name="BackupClient1",
            job=f"BackupClient1.2026-01-01_00.00.00_{job_id:02d}",
            client_name="client1-fd",
            file_set_name="SelfTest",
            job_type=JobType.BACKUP.code,
            job_level=JobLevel.FULL.code,
            pool_name="Full",
            job_status=JobStatus.TERMINATED.code if eos else 0,
            **fields,
        )

    return make
