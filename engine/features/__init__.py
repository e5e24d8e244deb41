"""Features: the stages built on the core (the vote, the fund pool, delivery and supervision, preview).

Each feature hooks into the core through its registries (sheet filing, moves, deadlines, `tick`).
Importing this package registers every feature's hooks, so a caller that files a sheet or runs a
job after importing it sees the whole system; the apps and the jobs import it first.
"""
# In this order `tick` runs their jobs: ballots closed before the escalation rules are applied.
from engine.features import voting, funds, delivery, preview  # noqa: F401  (registers their hooks)
