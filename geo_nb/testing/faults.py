"""Fault injection: rules that make the emulator fail the way NCBI sometimes does.

Rules are checked in the order added; the first rule that matches the request
and passes its probability draw (from the emulator's seeded RNG) applies, and
its ``times`` budget is used up by one. Exhausted rules are skipped.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["FaultAction", "FaultInjector", "FaultRule"]

FaultAction = Literal["status", "drop", "truncate", "challenge", "hang"]
ACTIONS = ("status", "drop", "truncate", "challenge", "hang")


@dataclass
class FaultRule:
    """One fault.

    ``match`` is a regex searched in ``PATH?QUERY`` (form-POST bodies are
    appended to the query); ``""`` matches everything. Actions: ``status``
    answers ``status`` with ``body`` (default: an error page, or NCBI's 429
    JSON for E-utilities) and a ``Retry-After`` header if ``retry_after`` is
    set; ``drop`` closes the connection without a response; ``truncate`` sends
    the headers with the full Content-Length, then ``after_bytes`` body bytes
    (at most the body length minus one), then closes; ``challenge`` answers 200
    with the bot-challenge page; ``hang`` reads the request, sends nothing for
    ``delay`` seconds, then closes. ``times`` is how many requests the rule
    applies to (None: unlimited); ``applied`` counts them.
    """

    match: str = ""
    action: FaultAction = "status"
    status: int = 503
    retry_after: str | None = None
    body: bytes | None = None
    times: int | None = 1
    probability: float = 1.0
    after_bytes: int = 100
    delay: float = 30.0
    applied: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"Unknown fault action {self.action!r}; use one of {ACTIONS}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        re.compile(self.match)

    @property
    def exhausted(self) -> bool:
        """True once the rule has been applied ``times`` times."""
        return self.times is not None and self.applied >= self.times


class FaultInjector:
    """The emulator's ordered, thread-safe list of fault rules."""

    def __init__(self, rng: random.Random, rng_lock: threading.Lock) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._rng = rng
        self._rng_lock = rng_lock

    def add(self, rule: FaultRule) -> FaultRule:
        """Append a rule (it applies after the rules added before it)."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        """Remove one rule (no error if it is not there)."""
        with self._lock:
            self._rules = [r for r in self._rules if r is not rule]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """A snapshot of the rules."""
        with self._lock:
            return list(self._rules)

    def pick(self, target: str) -> FaultRule | None:
        """The rule to apply to a request whose ``PATH?QUERY`` is ``target``, if any."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not re.search(rule.match, target):
                    continue
                if rule.probability < 1.0:
                    with self._rng_lock:
                        draw = self._rng.random()
                    if draw >= rule.probability:
                        continue
                rule.applied += 1
                return rule
        return None
