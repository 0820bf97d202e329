"""Due dates and late work: when a learner submitted, how late that was, what it costs.

    --due 2025-03-01T23:59            the due date (local time, or with a UTC offset: ...+01:00)
    --extensions FILE.csv             columns learner, due: a later due date for some learners
    --submission-times FILE.csv       columns learner, submitted: when each submitted (an LMS export);
                                      else the newest modification time of their notebooks
    --late-policy per-day:10,cap:50   the default: 10 % of the earned score per started day late,
                                      at most 50 %; "cutoff:D" scores 0 once more than D days late
                                      (alone, or with per-day); "none" charges nothing

Under Gradescope the times come from ``submission_metadata.json`` (created_at, the assignment's
due date, a learner's own due date when an extension gave one): :func:`from_gradescope`.
The penalty is computed when the gradebook is written, never stored with a learner's result,
so changing a due date or the policy never needs a regrade.
"""
from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

DEFAULT_POLICY = "per-day:10,cap:50"


def parse_when(text: str, what: str = "a date") -> datetime:
    """``YYYY-MM-DDTHH:MM`` (local time) or ISO 8601 with an offset, as an aware datetime."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date and time: write it as YYYY-MM-DDTHH:MM "
                         "(local time) or with a UTC offset, e.g. 2025-03-01T23:59+01:00") from None
    return when if when.tzinfo else when.astimezone()


@dataclass(frozen=True)
class Policy:
    per_day: float = 10.0  # percent of the earned score per started day late
    cap: float = 50.0  # percent, at most
    cutoff_days: float | None = None  # more than this many days late: 0 points

    @classmethod
    def parse(cls, text: str) -> "Policy":
        text = text.strip()
        if text == "none":
            return cls(0.0, 0.0, None)
        fields: dict[str, float] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            key, _, value = part.partition(":")
            if key not in ("per-day", "cap", "cutoff") or not value:
                raise ValueError(f"late policy {text!r}: {part!r} is not one of per-day:PERCENT, cap:PERCENT, "
                                 f"cutoff:DAYS (or none); the default is {DEFAULT_POLICY}")
            try:
                fields[key] = float(value.rstrip("%d"))
            except ValueError:
                raise ValueError(f"late policy {text!r}: {value!r} is not a number") from None
        if "cutoff" in fields and "per-day" not in fields:
            return cls(0.0, 0.0, fields["cutoff"])
        return cls(fields.get("per-day", 10.0), fields.get("cap", 100.0 if "per-day" in fields else 50.0),
                   fields.get("cutoff"))

    def describe(self) -> str:
        parts = []
        if self.per_day:
            parts.append(f"{self.per_day:g}% of the score per started day late, at most {self.cap:g}%")
        if self.cutoff_days is not None:
            parts.append(f"0 points when more than {self.cutoff_days:g} days late")
        return "; ".join(parts) or "no penalty for late work"

    def percent(self, days_late: float) -> float:
        """The share of the score taken away (0-100) for ``days_late`` (> 0: late)."""
        if days_late <= 0:
            return 0.0
        if self.cutoff_days is not None and days_late > self.cutoff_days:
            return 100.0
        return min(self.cap, self.per_day * math.ceil(days_late))


def read_csv_dates(path: Path, column: str) -> dict[str, datetime]:
    """{learner: date} from a CSV with columns ``learner`` and ``column``."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    if rows and ("learner" not in rows[0] or column not in rows[0]):
        raise ValueError(f"{path} must have the columns learner and {column} (it has {', '.join(rows[0])})")
    out = {}
    for i, row in enumerate(rows, start=2):
        out[row["learner"].strip()] = parse_when(row[column], f"{path}, line {i}: {column}")
    return out


def from_gradescope(metadata_path: Path) -> tuple[datetime | None, datetime | None]:
    """(submitted, due) of a Gradescope submission: created_at, and the learner's own due date
    (an extension) or else the assignment's."""
    try:
        meta = json.loads(Path(metadata_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    submitted = meta.get("created_at")
    due = None
    for user in meta.get("users") or []:
        if isinstance(user, dict) and isinstance(user.get("assignment"), dict) and user["assignment"].get("due_date"):
            due = user["assignment"]["due_date"]
    due = due or (meta.get("assignment") or {}).get("due_date")
    return (parse_when(submitted) if submitted else None), (parse_when(due) if due else None)


def lateness(raw: float, submitted: datetime | None, due: datetime | None, policy: Policy) -> dict | None:
    """How late, and what it costs: {"submitted", "due", "days_late", "percent", "penalty"}; None
    when there is no due date or no submission time."""
    if submitted is None or due is None:
        return None
    days = (submitted - due).total_seconds() / 86400.0
    pct = policy.percent(days)
    return {"submitted": submitted.isoformat(timespec="minutes"), "due": due.isoformat(timespec="minutes"),
            "days_late": round(max(days, 0.0), 3), "percent": pct, "penalty": round(raw * pct / 100.0, 2)}


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)
