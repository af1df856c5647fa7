"""Keep third-party libraries quiet.

Our own logs never contain transcript text or file contents; libraries chat at INFO
(detected language, checkpoint upgrades, timings), which is noise for users and, in a
shared cluster's log store, more than we want to leave behind.
"""

from __future__ import annotations

import logging
from functools import cache

_NOISY = ("whisperx", "lightning", "lightning.pytorch", "lightning_fabric", "pytorch_lightning",
          "faster_whisper", "pyannote", "speechbrain", "transformers", "numba", "fsspec")


@cache
def quiet_libraries() -> None:
    try:
        from whisperx.log_utils import setup_logging

        setup_logging("warning")  # whisperx resets its logger's level when first used
    except ImportError:
        pass
    for name in _NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
