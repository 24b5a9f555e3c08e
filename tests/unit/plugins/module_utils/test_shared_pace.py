"""One pace per location across processes: slots from a locked file, keyed by a hash, never the token."""
from __future__ import annotations

import multiprocessing
import os
import time

from ansible_collections.assetops.licensing.plugins.module_utils.http import RequestPacer
from ansible_collections.assetops.licensing.plugins.module_utils.shared_pace import STALE_SECONDS, SharedPace

TOKEN = "c2VjcmV0LXRva2VuLWZvci1wYWNpbmc="
INTERVAL = 0.01


def reserve_slots(directory, count, queue):
    readings = []

    def clock():
        readings.append(time.time())
        return readings[-1]

    pace = SharedPace("https://vpp.example.test/mdm/v2", TOKEN, directory=directory, clock=clock)
    slots = []
    for _number in range(count):
        delay = pace.reserve(INTERVAL)
        slots.append(readings[-1] + delay)  # the slot on the clock reading taken under the lock
    queue.put(slots)


def test_processes_of_one_location_take_distinct_slots_an_interval_apart(tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=reserve_slots, args=(str(tmp_path), 20, queue)) for _number in range(4)]
    for worker in workers:
        worker.start()
    slots = sorted(slot for _worker in workers for slot in queue.get(timeout=30))
    for worker in workers:
        worker.join(timeout=30)
    assert len(slots) == 80
    gaps = [later - earlier for earlier, later in zip(slots, slots[1:])]
    assert min(gaps) >= INTERVAL - 1e-6
    assert slots[-1] - slots[0] >= 79 * INTERVAL - 1e-6


def test_the_file_name_holds_no_token_and_the_file_is_private(tmp_path):
    pace = SharedPace("https://vpp.example.test/mdm/v2", TOKEN, directory=str(tmp_path))
    assert pace.reserve(1.0) == 0.0
    assert TOKEN not in pace.path and TOKEN not in open(pace.path, encoding="ascii").read()
    assert os.stat(pace.path).st_mode & 0o777 == 0o600
    other = SharedPace("https://vpp.example.test/mdm/v2", TOKEN + "x", directory=str(tmp_path))
    assert other.path != pace.path and other.reserve(1.0) == 0.0  # another location paces apart


def test_a_second_reservation_waits_one_interval_and_a_stale_slot_is_ignored(tmp_path):
    now = [1000.0]
    pace = SharedPace("https://a", TOKEN, directory=str(tmp_path), clock=lambda: now[0])
    assert pace.reserve(0.5) == 0.0
    assert pace.reserve(0.5) == 0.5
    now[0] -= STALE_SECONDS * 3  # a clock jump back, or a file from another boot
    assert pace.reserve(0.5) == 0.0


def test_an_unusable_cache_folder_falls_back_to_pacing_in_the_process(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    sleeps = []
    now = [0.0]
    pacer = RequestPacer(10, clock=lambda: now[0], sleep=sleeps.append, safety=1.0,
                         shared=SharedPace("https://a", TOKEN, directory=str(blocker)))
    pacer.wait()
    pacer.wait()
    assert sleeps == [0.1]


def test_the_pacer_sleeps_what_the_shared_file_says(tmp_path):
    sleeps = []
    pacer = RequestPacer(4, sleep=sleeps.append, safety=1.0, shared=SharedPace("https://a", TOKEN, directory=str(tmp_path)))
    other = RequestPacer(4, sleep=sleeps.append, safety=1.0, shared=SharedPace("https://a", TOKEN, directory=str(tmp_path)))
    pacer.wait()
    other.wait()  # a second process: one slot later, not a slot of its own
    assert len(sleeps) == 1 and 0.2 <= sleeps[0] <= 0.25
