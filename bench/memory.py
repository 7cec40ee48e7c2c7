"""Peak memory of the current process image, for benches that run each step in a child.

``ru_maxrss`` is the wrong reading there: Linux carries the parent's resident size at fork
across ``exec``, so a child started by a large parent reports at least the parent's size.
``VmHWM`` in /proc/self/status is the high-water mark of this image alone.
"""
from __future__ import annotations

import resource


def peak_mib() -> float:
    """This process's peak resident memory in MiB (VmHWM; ru_maxrss where /proc is absent)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
