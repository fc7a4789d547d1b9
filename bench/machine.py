"""The machine a benchmark ran on: every report names its CPU, since the targets are for ordinary x86 CPUs."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def cpu_name() -> str:
    """The CPU's model name as the kernel reports it."""
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    names = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return names[0] if names else platform.processor() or "unknown CPU"


def machine() -> str:
    """The CPU and how many logical CPUs it offers."""
    return f"{cpu_name()}, {os.cpu_count()} CPUs"
