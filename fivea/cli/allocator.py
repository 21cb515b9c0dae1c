"""polars' allocator told to give freed memory back promptly, for the command line only
(docs/performance.md "Memory: the allocator").

polars allocates through jemalloc and sets its decay times itself (``dirty_decay_ms:500,
muzzy_decay_ms:1000``; the options in ``_RJEM_MALLOC_CONF`` are appended to its own, so they
win). A run frees the scan's buffers and then allocates the kernel's arrays through another
allocator, so pages jemalloc still holds add to the peak: at 10M events, 0.3 GB of peak RSS.
Purged after 200 ms and released at once (no "muzzy" stage, whose pages still count in RSS), by
a background thread, they cost no measurable time (purged at once: 2 s of system time). Set
before polars is imported; a ``_RJEM_MALLOC_CONF`` the user set wins, and programs that import
fivea as a library are left alone.
"""

from __future__ import annotations

import os

#: jemalloc's options (``_RJEM_MALLOC_CONF``: polars' jemalloc is built with that prefix)
RETURN_PROMPTLY = "background_thread:true,dirty_decay_ms:200,muzzy_decay_ms:0"


def return_memory_promptly() -> None:
    """Set polars' allocator options unless the user did; a no-op once polars is loaded."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", RETURN_PROMPTLY)
