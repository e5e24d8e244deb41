"""Forms declared in YAML: field types, derived JSON Schema and pydantic models, validation."""
