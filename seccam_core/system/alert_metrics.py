"""The core's health metrics, ``cpu_temp`` and ``throttle``, and how a value gets a level.

Thresholds are the seed's: CPU temperature warns at 65 °C and is critical at 80 °C;
throttling is critical while any "now" flag is set (under-voltage, frequency capped,
throttled, soft temperature limit). Off a Pi both say ``unavailable``.
"""

from __future__ import annotations

from seccam_core.contributions import AlertLevel, AlertMetric, MetricReading
from seccam_core.system.metrics import (
    ACTIVE_FLAGS_MASK,
    cpu_temperature,
    throttle_state,
    throttled_bits,
)
from seccam_core.system.sources import SystemSources

CPU_TEMP_WARN = 65.0
CPU_TEMP_CRITICAL = 80.0
ACTIVE_FLAGS = ("under_voltage", "freq_capped", "throttled", "soft_temp_limit")


def graded(value: float, warn: float, critical: float) -> AlertLevel:
    """``critical`` at or above ``critical``, ``warn`` at or above ``warn``, else ``ok``."""
    if value >= critical:
        return AlertLevel.CRITICAL
    if value >= warn:
        return AlertLevel.WARN
    return AlertLevel.OK


def read_cpu_temp() -> MetricReading:
    """The SoC temperature against 65 / 80 °C."""
    celsius = cpu_temperature(SystemSources.from_env())
    if celsius is None:
        return MetricReading(AlertLevel.UNAVAILABLE, None, "no thermal zone on this machine")
    return MetricReading(graded(celsius, CPU_TEMP_WARN, CPU_TEMP_CRITICAL), celsius,
                         f"{celsius} °C")


def read_throttle() -> MetricReading:
    """The firmware's throttled flags: critical while any flag is active now."""
    bits = throttled_bits(SystemSources.from_env())
    if bits is None:
        return MetricReading(AlertLevel.UNAVAILABLE, None, "no throttle flags on this machine")
    state = throttle_state(bits)
    active = [name for name in ACTIVE_FLAGS if state[name]]
    level = AlertLevel.CRITICAL if bits & ACTIVE_FLAGS_MASK else AlertLevel.OK
    return MetricReading(level, state, ", ".join(active) or "no active flag")


def core_metrics() -> list[AlertMetric]:
    """``cpu_temp`` and ``throttle``."""
    return [
        AlertMetric("cpu_temp", read_cpu_temp, "CPU temperature"),
        AlertMetric("throttle", read_throttle, "Throttling"),
    ]
