"""Media hosting for platforms that fetch media from a public URL (Instagram).

Two hosts, one interface (:class:`MediaHost`):

- ``folder``: copy the file into a local folder that the user's own web server publishes at
  ``base_url`` (nginx, Caddy, a CDN origin...). Cheapest; needs a public HTTPS server.
- ``s3``: upload to S3-compatible storage with boto3 (AWS S3, MinIO, Cloudflare R2 via
  ``endpoint_url``), then hand out either ``public_base_url + key`` (a public bucket or CDN) or
  a presigned GET URL valid for ``presign_seconds``.

Object names derive from the publish request's idempotency key (a sha256), so they are not
guessable and a retry overwrites rather than duplicates. Objects are deleted right after the
platform confirms the publish, and :meth:`MediaHost.sweep` removes anything older than
``keep_hours`` (a publish that never finished).
"""

from __future__ import annotations

import mimetypes
import shutil
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..errors import ConfigError
from ..secrets import Secret, SecretRef
from .base import CheckResult, RetryableFailure


class HostingOptions(BaseModel):
    """The ``hosting`` table of a channel that needs public media URLs."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["folder", "s3"] = "folder"
    keep_hours: float = 24.0  # sweep objects older than this
    # folder
    folder: str = ""  # relative to the project
    base_url: str = ""  # public URL of that folder
    # s3
    bucket: str = ""
    prefix: str = "storycast/"
    endpoint_url: str = ""  # MinIO, R2, ...; "" for AWS
    region: str = ""
    public_base_url: str = ""  # "" -> presigned URLs
    presign_seconds: int = 6 * 3600
    access_key_id: SecretRef = ""  # a secret reference; "" -> boto3's default credential chain
    secret_access_key: SecretRef = ""


@dataclass(frozen=True)
class HostedMedia:
    url: str
    key: str


def content_type_of(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class MediaHost(ABC):
    """Puts files where a platform can fetch them; removes them afterwards."""

    def __init__(self, options: HostingOptions) -> None:
        self.options = options

    @abstractmethod
    def put(self, path: Path, key: str) -> HostedMedia:
        """Make ``path`` reachable at a public URL under the object name ``key``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object (missing objects are fine)."""

    @abstractmethod
    def sweep(self, now: datetime) -> int:
        """Remove objects older than ``keep_hours``; return how many."""

    @abstractmethod
    def check(self) -> list[CheckResult]:
        """Is the host configured and writable?"""


class FolderHost(MediaHost):
    """A local folder served by the user's web server at ``base_url``."""

    def __init__(self, options: HostingOptions, folder: Path) -> None:
        super().__init__(options)
        if not options.base_url:
            raise ConfigError(
                "folder hosting needs base_url, the public URL your web server serves the folder at",
                hint='add base_url = "https://media.example.com/storycast/" to the hosting table',
            )
        self.folder = folder

    def put(self, path: Path, key: str) -> HostedMedia:
        target = self.folder / key
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name("." + target.name + ".part")
            shutil.copyfile(path, tmp)
            tmp.replace(target)  # the web server never serves a half-written file
        except OSError as exc:
            raise RetryableFailure(
                f"cannot copy the media into {self.folder}: {exc.strerror or exc}",
                hint="let the user running storycast write the hosting folder and check the disk has "
                "space; storycast tries again",
            ) from None
        return HostedMedia(self.options.base_url.rstrip("/") + "/" + key, key)

    def delete(self, key: str) -> None:
        (self.folder / key).unlink(missing_ok=True)

    def sweep(self, now: datetime) -> int:
        if not self.folder.is_dir():
            return 0
        cutoff = (now - timedelta(hours=self.options.keep_hours)).timestamp()
        gone = 0
        for f in self.folder.rglob("*"):
            if f.is_file() and f.stat().st_mtime < cutoff:
                f.unlink(missing_ok=True)
                gone += 1
        return gone

    def check(self) -> list[CheckResult]:
        import os

        probe = self.folder if self.folder.exists() else self.folder.parent
        ok = probe.exists() and os.access(probe, os.W_OK)
        return [CheckResult("hosting", ok, f"folder {self.folder} -> {self.options.base_url}")]


class S3Host(MediaHost):
    """S3-compatible storage through boto3."""

    def __init__(self, options: HostingOptions, secret: Callable[[str, str], Secret]) -> None:
        super().__init__(options)
        if not options.bucket:
            raise ConfigError(
                "s3 hosting needs a bucket", hint='add bucket = "my-bucket" to the hosting table'
            )
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigError("s3 hosting needs boto3", hint="pip install 'storycast[s3]'") from None
        kw: dict[str, Any] = {}
        if options.endpoint_url:
            kw["endpoint_url"] = options.endpoint_url
        if options.region:
            kw["region_name"] = options.region
        if options.access_key_id:
            kw["aws_access_key_id"] = secret(options.access_key_id, "hosting.access_key_id").reveal()
            kw["aws_secret_access_key"] = secret(
                options.secret_access_key, "hosting.secret_access_key"
            ).reveal()
        cfg = Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"})
        self.client = boto3.client("s3", config=cfg, **kw)

    def _name(self, key: str) -> str:
        return self.options.prefix + key

    def put(self, path: Path, key: str) -> HostedMedia:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._name(key)
        try:
            self.client.upload_file(
                str(path), self.options.bucket, name, ExtraArgs={"ContentType": content_type_of(path)}
            )
            if self.options.public_base_url:
                url = self.options.public_base_url.rstrip("/") + "/" + name
            else:
                url = self.client.generate_presigned_url(
                    "get_object",
                    Params={"Bucket": self.options.bucket, "Key": name},
                    ExpiresIn=self.options.presign_seconds,
                )
        except (BotoCoreError, ClientError) as exc:
            raise RetryableFailure(
                f"cannot upload the media to bucket {self.options.bucket!r}: {type(exc).__name__}",
                hint="check bucket, endpoint_url and region in the hosting table, and that the credentials "
                "(hosting.access_key_id, or boto3's default chain) may write to the bucket; "
                "`storycast channels check` tests it",
            ) from None
        return HostedMedia(url, key)

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.options.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError):
            pass  # the sweep retries later

    def sweep(self, now: datetime) -> int:
        cutoff = now - timedelta(hours=self.options.keep_hours)
        gone = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.options.bucket, Prefix=self.options.prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                if obj["LastModified"].astimezone(UTC) < cutoff:
                    self.client.delete_object(Bucket=self.options.bucket, Key=obj["Key"])
                    gone += 1
        return gone

    def check(self) -> list[CheckResult]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.options.bucket)
        except (BotoCoreError, ClientError) as exc:
            return [CheckResult("hosting", False, f"bucket {self.options.bucket!r}: {type(exc).__name__}")]
        how = "public URLs" if self.options.public_base_url else "presigned URLs"
        return [CheckResult("hosting", True, f"bucket {self.options.bucket!r} reachable ({how})")]


def open_host(options: HostingOptions, root: Path, secret: Callable[[str, str], Secret]) -> MediaHost:
    """Build the host the options describe (``root`` anchors a relative folder)."""
    if options.kind == "s3":
        return S3Host(options, secret)
    folder = Path(options.folder or ".storycast/hosting").expanduser()
    return FolderHost(options, folder if folder.is_absolute() else root / folder)


def object_key(idempotency_key: str, path: Path) -> str:
    """Unguessable, stable object name for one publish request's media."""
    return f"{idempotency_key[:40]}{path.suffix.lower()}"
