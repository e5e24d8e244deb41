"""Forms compiled from the profile: the JSON Schema derived from a form, its two validators, its rules."""
