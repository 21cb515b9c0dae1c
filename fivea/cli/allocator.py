"""polars' allocator told to give freed memory back promptly, for the command line only
(docs/performance.md "Memory: the allocator").

polars allocates through jemalloc, which by default keeps freed pages for about ten seconds
before returning them. A run frees the scan's buffers and then allocates the kernel's arrays
(through another allocator), so the kept pages added to the peak: at 10M events, 0.3 GB of
peak RSS. A background thread returning them after 200 ms costs no measurable time (returning
them at once costs 2 s of system time). It must be set before polars is imported; a
``_RJEM_MALLOC_CONF`` the user set wins, and programs that import fivea as a library are left
alone.
"""

from __future__ import annotations

import os

#: jemalloc's options (``_RJEM_MALLOC_CONF``: polars' jemalloc is built with that prefix)
RETURN_PROMPTLY = "background_thread:true,dirty_decay_ms:200,muzzy_decay_ms:0"


def return_memory_promptly() -> None:
    """Set polars' allocator options unless the user did; a no-op once polars is loaded."""
    os.environ.setdefault("_RJEM_MALLOC_CONF", RETURN_PROMPTLY)
