"""The profiles this repository ships, by name, for `extends: sangzhi` (registered in
pyproject.toml's entry points, group minsheng.profile_templates; see engine.profile.templates).
They live in the checkout: an installation without the repository's folders has none of them."""
from __future__ import annotations

from pathlib import Path

SANGZHI = Path(__file__).resolve().parents[1] / "config"
