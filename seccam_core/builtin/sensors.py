"""The sensor plugin of the core: the ``Sensor`` section, the controller, ``/sensor/...``."""

from __future__ import annotations

from quart import Blueprint

from seccam_core import hookimpl
from seccam_core.api import sensors as sensors_api
from seccam_core.contributions import SettingsSection
from seccam_core.runtime import Seccam
from seccam_core.sensing.config import SENSOR_SECTION, section_check
from seccam_core.sensing.controller import SENSOR_CONTROLLER, SensorController


@hookimpl
def seccam_settings_sections() -> list[SettingsSection]:
    """The ``Sensor`` section: type, gpio, enabled, hold_seconds, invert_logic, calibration."""
    return [SENSOR_SECTION]


@hookimpl
def seccam_register_routes(seccam: Seccam) -> list[Blueprint]:
    """``/sensor/status|types|configure|enable|disable|test``."""
    return [sensors_api.blueprint]


@hookimpl
async def seccam_startup(seccam: Seccam) -> None:
    """Start the sensor controller and provide it as the ``SENSORS`` service."""
    seccam.settings.add_check(SENSOR_SECTION.name, section_check(seccam.sensor_types))
    controller = SensorController(seccam)
    seccam.provide(SENSOR_CONTROLLER, controller)
    await controller.start()


@hookimpl
async def seccam_shutdown(seccam: Seccam) -> None:
    """Stop the sensor: end its recording request, release the pin."""
    controller = seccam.withdraw(SENSOR_CONTROLLER)
    if controller is not None:
        await controller.stop()
