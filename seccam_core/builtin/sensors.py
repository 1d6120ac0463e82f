"""The sensor plugin of the core: the sensor sections, the controller, arm modes and
``/sensor/...``, ``/sensors/...``, ``/arming``."""

from __future__ import annotations

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.api import arming as arming_api
from seccam_core.api import sensors as sensors_api
from seccam_core.contributions import SettingsSection
from seccam_core.runtime import Seccam
from seccam_core.sensing.arming import ARMING_SECTION, Arming
from seccam_core.sensing.config import (
    SENSOR_SECTION,
    SENSORS_SECTION,
    primary_check,
    section_check,
    sensors_section_check,
)
from seccam_core.sensing.controller import SENSOR_CONTROLLER, SensorController
from seccam_core.sensing.schedule import schedule_check
from seccam_core.services import ARMING


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """``Sensors`` (the list) and ``Sensor`` (the primary sensor in the seed's shape)."""
    return [SENSOR_SECTION, SENSORS_SECTION, ARMING_SECTION]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """``/sensor/status|types|configure|enable|disable|test`` and ``/sensors/...``."""
    return [sensors_api.blueprint, arming_api.blueprint]


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Start the arm modes and the sensor controller (the ``SENSORS`` service)."""
    types = seccam.sensor_types
    seccam.settings.add_check(SENSOR_SECTION.name, section_check(types))
    seccam.settings.add_check(SENSORS_SECTION.name, sensors_section_check(types))
    seccam.settings.add_check(ARMING_SECTION.name, schedule_check)
    arming = Arming(seccam)
    seccam.provide(ARMING, arming)
    await arming.start()
    controller = SensorController(seccam)
    seccam.settings.add_check(SENSOR_SECTION.name, primary_check(types, controller.entries))
    controller.mode_rule = arming.effective
    seccam.provide(SENSOR_CONTROLLER, controller)
    await controller.start()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop the sensor: end its recording request, release the pin."""
    controller = seccam.withdraw(SENSOR_CONTROLLER)
    if controller is not None:
        await controller.stop()
    arming = seccam.withdraw(ARMING)
    if isinstance(arming, Arming):  # the key's protocol has no stop(): ours has
        await arming.stop()
