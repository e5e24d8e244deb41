"""Running a ballot round: set up, open, cast, close, count. Every step is one transaction,
checked against the vote's roles, and audited (who did what; never what a deputy voted).

Integrity: a deputy's vote is one row in `vote_voters` (primary key: round and deputy) and one
anonymous row in `ballots`, written in the same transaction, so a ballot is counted exactly once
or not at all. A cast takes the round's row with FOR SHARE on PostgreSQL and a close takes it
FOR UPDATE, so a close waits for the casts in flight and no cast is accepted after it (SQLite's
BEGIN IMMEDIATE serialises both). Secrecy: ballots carry no deputy and no time, their ids are
random, and `close_round` rewrites both tables of the round in key order (reseal) so neither
row order nor PostgreSQL's transaction ids tell which ballot came when.

Its modules: `rounds` (setting a round up), `ballots` (casting, in the app or on paper), `closing`
and `results` (the count and what it decides); the public names are these.
"""
from engine.features.voting.ballots import BoxContents, box_contents, cast, confirm_paper, enter_paper, hand_out_paper
from engine.features.voting.candidates import BallotCandidate, ballot_candidates
from engine.features.voting.carried import CarriedPlaces, carried_places, fill_from_reserve
from engine.features.voting.closing import close_due, close_round
from engine.features.voting.devices import import_device_ballots
from engine.features.voting import waiting  # noqa: F401  (registers the ballots waiting on the start page)
from engine.features.voting import frozen_rules  # noqa: F401  (registers the guard on publishing its rules)
from engine.features.voting.results import chosen_in, count_round, follow_up, recount
from engine.features.voting.rounds import (STATUSES, VoteRefused, candidate_costs, create_round, open_round,
                                           roster_from_records, roster_of, set_status, vote_rules)

__all__ = ["BoxContents", "box_contents", "STATUSES", "BallotCandidate", "CarriedPlaces", "carried_places", "fill_from_reserve", "VoteRefused", "ballot_candidates", "candidate_costs", "cast", "chosen_in", "close_due", "close_round", "confirm_paper", "count_round",
           "create_round", "enter_paper", "follow_up", "hand_out_paper", "import_device_ballots", "open_round", "recount", "roster_from_records",
           "roster_of", "set_status", "vote_rules"]
