"""The presence source's hysteresis, on its own (pure state: no bus, no server)."""

from seccam_presence_bt.tracking import BluetoothPresence

PHONE = "AA:BB:CC:DD:EE:01"
TABLET = "AA:BB:CC:DD:EE:02"


def tracking(*addresses: str) -> BluetoothPresence:
    source = BluetoothPresence()
    source.track([{"address": address, "name": address} for address in addresses])
    return source


def test_unknown_until_the_first_look_then_nobody():
    source = tracking(PHONE)
    assert source.someone_home() is None
    source.observe(set(), now=100.0, away_after=90)
    assert source.someone_home() is False


def test_no_tracked_devices_means_nobody_home():
    assert BluetoothPresence().someone_home() is False


def test_one_missed_look_does_not_make_a_device_away():
    source = tracking(PHONE)
    source.observe({PHONE.lower()}, now=100.0, away_after=90)
    assert source.someone_home() is True
    assert source.observe(set(), now=130.0, away_after=90) == []
    assert source.observe(set(), now=189.0, away_after=90) == []
    assert source.someone_home() is True
    transitions = source.observe(set(), now=190.0, away_after=90)
    assert [(t.device.address, t.present) for t in transitions] == [(PHONE, False)]
    assert source.someone_home() is False
    assert source.get(PHONE).last_seen == 100.0


def test_every_transition_counts_even_in_quick_succession():
    """ORIGINAL D7: a second departure soon after the first is not swallowed."""
    source = tracking(PHONE)
    outcomes = []
    for now, seen in [(0, {PHONE}), (10, set()), (11, {PHONE}), (12, set()), (13, {PHONE}),
                      (14, set())]:
        source.observe(seen, now=now, away_after=0)
        outcomes.append(source.someone_home())
    assert outcomes == [True, False, True, False, True, False]


def test_any_present_device_means_someone_home():
    source = tracking(PHONE, TABLET)
    source.observe({TABLET}, now=0, away_after=0)
    assert source.someone_home() is True
    snapshot = source.snapshot()
    assert snapshot["someone_home"] is True
    assert [(d["address"], d["present"]) for d in snapshot["devices"]] == [
        (PHONE, False), (TABLET, True)]
    assert snapshot["devices"][0]["last_seen"] is None
    assert snapshot["devices"][1]["last_seen"] == "1970-01-01T00:00:00.000+00:00"


def test_tracking_again_keeps_state_and_drops_removed_devices():
    source = tracking(PHONE, TABLET)
    source.observe({PHONE}, now=50, away_after=90)
    assert source.track([{"address": PHONE.lower(), "name": "Phone"}]) is True
    assert [d.address for d in source.devices] == [PHONE]
    assert source.get(PHONE).present is True
    assert source.get(PHONE).name == "Phone"
    assert source.track([{"address": PHONE, "name": "Phone"}]) is False
