"""The sign-in guard's slots (services/gateway/signin.py): a known device is served
before anyone else, so a flood of unknown clients cannot shut out an account's owner
(bench P10 saw every real sign-in refused with 503 during a 200-address spray)."""
import eventlet

from services.gateway.signin import ANYONE, KNOWN, Slots


def _waiter(slots: Slots, lane: str, order: list, name: str, timeout: float = 5.0):
    def run():
        got = slots.acquire(lane, timeout)
        order.append((name, got))
    return eventlet.spawn(run)


def test_a_known_device_gets_the_next_slot_before_unknown_clients_waiting_longer():
    slots, order = Slots(size=1, queue=4), []
    assert slots.acquire(ANYONE, 0)  # a hash running
    unknown = [_waiter(slots, ANYONE, order, f"unknown{i}") for i in range(3)]
    eventlet.sleep(0)
    known = _waiter(slots, KNOWN, order, "known")
    eventlet.sleep(0)
    slots.release()
    eventlet.sleep(0)
    assert order == [("known", True)]
    for _ in range(3):
        slots.release()
        eventlet.sleep(0)
    for thread in [known, *unknown]:
        thread.wait()
    assert order == [("known", True), ("unknown0", True), ("unknown1", True),
                     ("unknown2", True)]
    slots.release()
    assert slots.busy == 0


def test_a_full_queue_of_unknown_clients_does_not_refuse_a_known_device():
    slots, order = Slots(size=1, queue=2), []
    assert slots.acquire(ANYONE, 0)
    waiting = [_waiter(slots, ANYONE, order, f"unknown{i}") for i in range(2)]
    eventlet.sleep(0)
    assert slots.acquire(ANYONE, 5) is False  # refused at once: the queue is full
    known = _waiter(slots, KNOWN, order, "known")
    eventlet.sleep(0)
    slots.release()
    known.wait()
    assert order == [("known", True)]
    for _ in range(3):
        slots.release()
        eventlet.sleep(0)
    for thread in waiting:
        thread.wait()
    assert slots.busy == 0


def test_a_wait_that_times_out_leaves_the_queue_and_the_count_right():
    slots, order = Slots(size=1, queue=2), []
    assert slots.acquire(ANYONE, 0)
    late = _waiter(slots, ANYONE, order, "late", timeout=0.05)
    late.wait()
    assert order == [("late", False)]
    assert not slots.waiting[ANYONE]
    slots.release()
    assert slots.busy == 0
    assert slots.acquire(KNOWN, 0) and slots.busy == 1
