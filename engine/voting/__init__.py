"""The differential vote: ballot methods and the count. Storage and casting live in services."""
