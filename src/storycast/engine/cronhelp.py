"""``storycast cron``: a crontab line and a systemd service + timer that run ``publish --due``."""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..project import Project


@dataclass
class CronFiles:
    """The text of each file ``storycast cron`` prints."""

    crontab: str
    service: str
    timer: str


def storycast_command() -> str:
    """The absolute command that runs this storycast (the console script, else python -m)."""
    exe = shutil.which("storycast")
    if exe:
        return shlex.quote(exe)
    return f"{shlex.quote(sys.executable)} -m storycast"


def cron_files(project: Project, every_minutes: int = 1) -> CronFiles:
    """Files that run one tick every ``every_minutes`` for ``project``."""
    cmd = storycast_command()
    root = str(project.root)
    log = project.state_dir / "cron.log"
    minute = "*" if every_minutes == 1 else f"*/{every_minutes}"
    crontab = (
        f"# storycast: publish what is due every {every_minutes} minute(s); exit 7: some posts failed\n"
        f"{minute} * * * * {cmd} --project {shlex.quote(root)} publish --due"
        f" >> {shlex.quote(str(log))} 2>&1\n"
    )
    service = (
        "[Unit]\n"
        f"Description=storycast: publish what is due ({project.config.project.name})\n"
        "After=network-online.target\n"
        "Wants=network-online.target\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={root}\n"
        f"ExecStart={cmd} --project {shlex.quote(root)} publish --due\n"
        "# 7 = some posts failed or ended unknown: the unit shows failed; see `storycast status`\n"
        "SuccessExitStatus=0\n"
        "TimeoutStartSec=15min\n"
    )
    timer = (
        "[Unit]\n"
        "Description=storycast: run publish --due every minute\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*:0/{every_minutes}\n"
        "AccuracySec=1s\n"
        "Persistent=true\n"
        "Unit=storycast-publish.service\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return CronFiles(crontab, service, timer)
