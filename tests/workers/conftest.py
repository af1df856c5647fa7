"""The workers' tests: fake_kube (a fake Kubernetes API server) sits beside them."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
