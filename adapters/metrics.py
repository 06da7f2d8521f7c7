"""What `GET /metrics` shows the people who run Candor, in Prometheus' text format.

From the outbox at each scrape: the notices due and waiting by platform and kind, those blocked by
error code, and the oldest one's age. Counted by this process: deliveries, failures by error
code, sweep runs and their durations, in-doubt recoveries, notices skipped because they did not
open (a keyring behind a rotation); and anonymous reports past their delay but not recorded (no
recorder running). Nothing here moves when a report is filed: no report counters, a notice counts
only once it is due, and a held anonymous report only minutes after its delay is over (its delay
is waited out unseen). Every series of a configured platform is there from the start, at
zero, so that nothing appears on a graph at the minute something happens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from bot import admin
from storage.db import Database
from storage.vocabulary import OutboxKind, Platform

KINDS = tuple(OutboxKind)


class _Outbox(Collector):
    """Read at scrape time: the outbox as it is, not as this process saw it."""

    def __init__(self, db: Database, now: Callable[[], datetime],
                 platforms: Iterable[Platform]) -> None:
        self._db = db
        self._now = now
        self._platforms = sorted(platforms)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._now()
        waiting = admin.waiting(self._db, now=now)
        counts: dict[tuple[str, str], int] = {(p.value, k.value): 0 for p in self._platforms
                                             for k in KINDS}
        oldest = {p.value: 0.0 for p in self._platforms}
        blocked: dict[tuple[str, str], int] = {}
        for w in waiting:
            key = (w.platform.value, w.kind)
            counts[key] = counts.get(key, 0) + w.count
            age = max((now - w.oldest_due).total_seconds(), 0.0)
            oldest[w.platform.value] = max(oldest.get(w.platform.value, 0.0), age)
            if w.blocked:
                blocked[(w.platform.value, w.reason)] = (
                    blocked.get((w.platform.value, w.reason), 0) + w.count)
        family = GaugeMetricFamily("candor_notices_waiting", "Notices due and not yet delivered",
                                   labels=["platform", "kind"])
        for (platform, kind), count in sorted(counts.items()):
            family.add_metric([platform, kind], count)
        yield family
        family = GaugeMetricFamily("candor_notices_blocked",
                                   "Notices due whose last try hit an error a person must fix",
                                   labels=["platform", "code"])
        for (platform, code), count in sorted(blocked.items()):
            family.add_metric([platform, code], count)
        yield family
        family = GaugeMetricFamily("candor_oldest_notice_age_seconds",
                                   "How long the oldest waiting notice has been due",
                                   labels=["platform"])
        for platform, age in sorted(oldest.items()):
            family.add_metric([platform], age)
        yield family


class _Reading(Collector):
    """One number read at scrape time from a callable, as a counter or a gauge."""

    def __init__(self, family: type[CounterMetricFamily | GaugeMetricFamily], name: str,
                 documentation: str, count: Callable[[], int]) -> None:
        self._family, self._name, self._documentation = family, name, documentation
        self._count = count

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily]:
        yield self._family(self._name, self._documentation, value=self._count())


class Metrics:
    def __init__(self, db: Database, *, now: Callable[[], datetime], platforms: Iterable[Platform],
                 unopened: Callable[[], int] | None = None,
                 overdue: Callable[[], int] | None = None) -> None:
        self.platforms = sorted(platforms)
        self.registry = CollectorRegistry()
        self.deliveries = Counter("candor_deliveries", "Notices delivered", ["platform"],
                                  registry=self.registry)
        self.failures = Counter("candor_delivery_failures",
                                "Delivery tries that failed, by the platform's error code",
                                ["platform", "code"], registry=self.registry)
        self.in_doubt = Counter("candor_in_doubt_recoveries",
                                "Notices settled after an earlier try may have reached the "
                                "platform",
                                ["platform"], registry=self.registry)
        self.sweeps = Counter("candor_sweep_runs", "Scheduler sweeps run", registry=self.registry)
        self.sweep_seconds = Histogram("candor_sweep_duration_seconds", "How long a sweep took",
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
                                       registry=self.registry)
        for platform in self.platforms:
            self.deliveries.labels(platform.value)
            self.in_doubt.labels(platform.value)
        self.registry.register(_Outbox(db, now, self.platforms))
        if unopened is not None:
            # The relay's count of notices it skipped because they did not open.
            self.registry.register(_Reading(
                CounterMetricFamily, "candor_outbox_unopened",
                "Notices skipped because they did not open (a data key under a master key "
                "version this server does not hold); each is tried again", unopened))
        if overdue is not None:
            # Anonymous reports held past their delay and not recorded (no recorder is running);
            # a report held within its delay is never counted.
            self.registry.register(_Reading(
                GaugeMetricFamily, "candor_anonymous_reports_unrecorded",
                "Anonymous reports past their delay by minutes and not yet recorded (so not yet "
                "alerted): the recorder in `candor serve` is not running", overdue))

    def delivered(self, platform: Platform, *, recovered: bool) -> None:
        self.deliveries.labels(platform.value).inc()
        if recovered:
            self.in_doubt.labels(platform.value).inc()

    def failed(self, platform: Platform, code: str) -> None:
        self.failures.labels(platform.value, code[:60]).inc()

    def swept(self, seconds: float) -> None:
        self.sweeps.inc()
        self.sweep_seconds.observe(seconds)

    def exposition(self) -> bytes:
        """The text a scrape gets (blocking: it reads the database)."""
        return generate_latest(self.registry)
