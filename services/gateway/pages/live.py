"""Pushes to open consoles (Server-Sent Events): an incoming call for an agent.

The telephony's call events come in through the gateway (POST /api/v1/telephony/
call-events, T8); once the ticket service has stored them, each `offered` or `answered`
event naming an agent is handed to that agent's open consoles here, in this process,
at once.  The push says only which call; the console then asks for the pop
(GET /console/pop/<call_id>), rendered under the agent's own identity and scope.
Calls are remembered (the last MAX_CALLS) so the pop can name the number and the IVR
path; only the agent a call was offered to may open its pop.

One gateway process holds the consoles it serves; with several gateway processes the
telephony events would reach them by a broadcast queue (noted in the README).
"""
import json
from collections import OrderedDict, defaultdict

from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider, SharedExtension

MAX_CALLS = 5000
QUEUE_LENGTH = 100  # a console that stops reading loses the oldest pushes, never the process
KEEPALIVE_SECONDS = 15.0
POPPING = ("offered", "answered")


class Hub(SharedExtension):
    def setup(self):
        self._consoles: dict[str, set] = defaultdict(set)
        self._calls: OrderedDict[str, dict] = OrderedDict()

    def subscribe(self, keys) -> LightQueue:
        queue = LightQueue(QUEUE_LENGTH)
        for key in keys:
            self._consoles[key].add(queue)
        return queue

    def unsubscribe(self, keys, queue) -> None:
        for key in keys:
            self._consoles[key].discard(queue)
            if not self._consoles[key]:
                del self._consoles[key]

    def publish(self, key: str, kind: str, data: dict) -> int:
        """Hand a push to every open console of `key` (a staff id or username); how many."""
        queues = self._consoles.get(key, ())
        for queue in list(queues):
            if queue.full():
                try:
                    queue.get_nowait()
                except Empty:
                    pass
            queue.put_nowait((kind, data))
        return len(queues)

    def ring(self, events: list) -> int:
        """Remember the popping call events and push each to its agent; how many pushed."""
        pushed = 0
        for event in events:
            if not isinstance(event, dict) or event.get("event") not in POPPING:
                continue
            agent, call_id = event.get("agent_id"), event.get("call_id")
            if not agent or not call_id:
                continue
            call = {"call_id": str(call_id), "event": event["event"], "agent_id": str(agent),
                    "caller": event.get("caller") or "", "queue": event.get("queue"),
                    "ivr_path": list(event.get("ivr_path") or ()), "at": event.get("at")}
            self._calls[call["call_id"]] = call
            self._calls.move_to_end(call["call_id"])
            while len(self._calls) > MAX_CALLS:
                self._calls.popitem(last=False)
            pushed += self.publish(call["agent_id"], "call",
                                   {"call_id": call["call_id"], "event": call["event"]})
        return pushed

    def call_for(self, call_id: str, keys) -> dict | None:
        """The remembered call when it was offered to one of `keys`, else None."""
        call = self._calls.get(call_id)
        return call if call is not None and call["agent_id"] in keys else None


class Live(DependencyProvider):
    """Injects the process's Hub."""

    hub = Hub()

    def get_dependency(self, worker_ctx):
        return self.hub


def call_events(body) -> list:
    """The events of a telephony post: one event or {"events": [...]}."""
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        return body["events"]
    return [body] if isinstance(body, dict) else []


def ring_consoles(service, args: list, reply) -> None:
    """After the ticket service stored a telephony post: pop it on the agents' consoles."""
    service.live.ring(call_events(args[0] if args else None))


def stream(hub: Hub, keys, keepalive: float = KEEPALIVE_SECONDS):
    """The body of an event stream: each push as an SSE event, a comment now and then
    so proxies keep the connection; ends (unsubscribing) when the browser goes."""
    queue = hub.subscribe(keys)
    try:
        yield b"retry: 2000\n: open\n\n"
        while True:
            try:
                kind, data = queue.get(timeout=keepalive)
            except Empty:
                yield b": keepalive\n\n"
                continue
            payload = json.dumps(data, ensure_ascii=False)
            yield f"event: {kind}\ndata: {payload}\n\n".encode()
    finally:
        hub.unsubscribe(keys, queue)
