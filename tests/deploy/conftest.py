"""tests/deploy reuses the end-to-end helpers (the corpus's feeds, the store against the manifest)."""

from __future__ import annotations

import sys
from pathlib import Path

E2E = str(Path(__file__).resolve().parents[1] / "e2e")
if E2E not in sys.path:
    sys.path.append(E2E)
