"""The profiles this repository ships, for `extends: <name>`: pyproject.toml names each (entry
points, group minsheng.profile_templates; see engine.profile.templates). They live in the
checkout: an installation without the repository's folders has none of them."""
from __future__ import annotations

from pathlib import Path

DEFAULT_PROFILE = Path(__file__).resolve().parents[1] / "config"  # the default profile (config/)
