"""Interview transcription: Whisper, word alignment, speakers, exports.

Importing the package makes the process offline and silent before any model library
loads: no hub downloads, no telemetry (privacy by construction, not by configuration). It
also tunes the memory allocator for Whisper's large buffers (allocator.py).
"""

import os

__version__ = "0.1.0"

_OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "PYANNOTE_METRICS_ENABLED": "false",  # pyannote.audio 4 sends usage metrics otherwise
    "DO_NOT_TRACK": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "TOKENIZERS_PARALLELISM": "false",
}
os.environ.update(_OFFLINE_ENVIRONMENT)

from .allocator import keep_large_buffers  # noqa: E402 - after the environment

keep_large_buffers()
