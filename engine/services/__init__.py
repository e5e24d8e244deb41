"""Services: what people and jobs do with records.

Features that hook into the core (sheets' default values and filing effects, for now) register
their hooks when this package loads, so no caller can file a sheet before they are in place.
"""
from engine.services import delivery as _delivery_hooks  # noqa: F401  (registers its hooks)
