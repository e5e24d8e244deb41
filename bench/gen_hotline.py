"""Write a synthetic 12345-hotline export of N rows (some deliberately bad) for the import benchmark."""
from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

from demo.schema import demo_of
from engine.profile.loader import load_profile

BAD_EVERY = 97  # one row in 97 has a bad phone number or date, so rejection is measured too


def generate(config: str, out: Path, rows: int, seed: int = 7) -> Path:
    profile = load_profile(config)
    mapping = profile.imports["hotline_12345"]
    form = profile.forms[mapping.form]
    rng = random.Random(seed)
    townships = [t.name for t in profile.county.townships]
    categories = [o.label for o in form.field("category").options]
    year = demo_of(profile)
    people = list(year.people) if year else ["X"]
    samples = list(year.suggestion_samples) if year else [{"title": "t" * 8, "content": "c" * 20}]
    headers = list(mapping.columns.values()) + [h for h in mapping.key_columns if h not in mapping.columns.values()]
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for i in range(rows):
            sample = samples[i % len(samples)]
            values = {
                "title": sample["title"], "content": sample["content"], "category": rng.choice(categories),
                "township": rng.choice(townships), "proposer_name": rng.choice(people),
                "phone": f"13{rng.randrange(10**9):09d}",
                "submitted_on": f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d} 09:{i % 60:02d}:00",
            }
            if i % BAD_EVERY == 5:
                values["phone"] = "12-34"
            row = [values.get(fid, "") for fid in mapping.columns]
            row += [f"GD{i:09d}" for h in mapping.key_columns if h not in mapping.columns.values()]
            writer.writerow(row)
    return out


if __name__ == "__main__":
    generate(sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]))
