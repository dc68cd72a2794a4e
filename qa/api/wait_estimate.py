"""How long a question joining the queue will wait: the estimate admission decides by.

Admission (qa.api.admission) lets a question in while its expected wait is under
``QA_MAX_WAIT_MS``, so the estimate is the bound: an estimate that runs low admits waits over
it. Two measurements feed it:

- the *service time*: each answer's time scaled to "every slot busy" (see ``record_answer``),
  averaged over the last few answers, gives the wait as service × (questions ahead + 1) / slots;
- the *bias*: each admitted question's real wait against the wait estimated when it was
  admitted, its mean and spread averaged the same way. Under load the plain estimate ran
  ~20-30 % low (64 clients on 2 cores: waits up to 3.9 s under a 3 s bound: the clients,
  batching and thread hand-offs share the cores), and a constant factor would be right only on
  the machine it was fitted on; the measured ratio corrects it wherever the service runs. The
  bias is the ratio's mean + ``SPREAD_Z`` deviations, so that ~90 % of admitted questions, not
  half, are served within the bound (past it, admission drops them: qa.api.admission).
"""

from __future__ import annotations

EWMA_WEIGHT = 0.2  # the last ~5 measurements dominate
STUCK_FACTOR = 2.0
MIN_JUDGED_WAIT_S = 0.2  # shorter estimates are mostly hand-off noise: they don't move the bias
BIAS_RANGE = (0.5, 4.0)
SPREAD_Z = 1.28  # the 90th percentile of a normal spread


def _ewma(previous: float | None, value: float) -> float:
    return value if previous is None else previous + EWMA_WEIGHT * (value - previous)


class WaitEstimate:
    """The measured service time and estimate bias of one worker's ``slots``."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self.service_s: float | None = None
        self.bias = 1.0
        self._ratio: float | None = None  # mean of waited / estimated
        self._variance = 0.0

    def base(self, ahead: int, oldest_running_s: float) -> float:
        """The uncorrected wait of a question with ``ahead`` questions queued before it, all
        slots busy. Before any answer was measured, the age of the oldest running question
        stands in for the service time, and when that question runs far longer than usual
        (stuck), its age / ``STUCK_FACTOR``: a new service, or one stuck on a slow question,
        is not assumed fast."""
        service = self.service_s if self.service_s is not None else oldest_running_s
        if oldest_running_s > STUCK_FACTOR * service:
            service = oldest_running_s / STUCK_FACTOR
        return service * (ahead + 1) / self.slots

    def corrected(self, base: float) -> float:
        """``base`` times the measured bias."""
        return base * self.bias

    def record_answer(self, seconds: float, sharing: float) -> None:
        """One answer's time as the time it would take with every slot busy.

        The slots share the machine's cores: an answer that took 0.4 s alone takes ~1.3 s
        when four run at once on two cores. Measured raw, a quiet spell would promise a burst
        short waits it then cannot keep (64 clients waited up to 15 s under a 3 s bound).
        Scaled by the slots / the questions it shared the machine with (``sharing``: running
        when it started and when it ended, on average), the estimate is one of throughput,
        which concurrency barely changes.
        """
        full = seconds * self.slots / max(1.0, sharing)
        self.service_s = _ewma(self.service_s, full)

    def record_wait(self, base: float, waited: float) -> None:
        """One admitted question's real wait against its uncorrected estimate ``base``."""
        if base < MIN_JUDGED_WAIT_S:
            return
        ratio = waited / base
        if self._ratio is None:
            self._ratio = ratio
        else:  # an exponentially weighted mean and variance (Welford's, with a forgetting factor)
            delta = ratio - self._ratio
            self._ratio += EWMA_WEIGHT * delta
            self._variance = (1 - EWMA_WEIGHT) * (self._variance + EWMA_WEIGHT * delta * delta)
        low, high = BIAS_RANGE
        self.bias = min(high, max(low, self._ratio + SPREAD_Z * self._variance**0.5))
