"""A throwaway certificate authority for the certificate-TLS tests, made with the openssl command."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@dataclass(frozen=True)
class LabCA:
    """A CA (EC P-256 keys: quick to make) that signs certificates for 127.0.0.1."""

    directory: Path
    name: str = "lab-ca"

    @property
    def cert(self) -> Path:
        return self.directory / f"{self.name}.pem"

    def create(self) -> LabCA:
        self.directory.mkdir(parents=True, exist_ok=True)
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", f"{self.name}.key", "-out", self.cert.name, "-days", "2", "-subj", f"/CN={self.name}",
                 cwd=self.directory)
        return self

    def issue(self, common_name: str) -> Certificate:
        """A certificate for ``common_name`` valid for the loopback address and localhost."""
        d = self.directory
        ext = d / f"{common_name}.ext"
        ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", f"{common_name}.key", "-out", f"{common_name}.csr", "-subj", f"/CN={common_name}",
                 cwd=d)
        _openssl("x509", "-req", "-in", f"{common_name}.csr", "-CA", self.cert.name, "-CAkey", f"{self.name}.key",
                 "-CAcreateserial", "-out", f"{common_name}.pem", "-days", "2", "-extfile", ext.name, cwd=d)
        return Certificate(d / f"{common_name}.pem", d / f"{common_name}.key")
