"""Rules: a small, safe expression language and the decision tables written in it."""
