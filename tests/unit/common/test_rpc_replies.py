"""A reply published while the broker's return of an earlier unroutable message is
pending (a request to a service that is down: requests and replies go without
confirms) is sent once more instead of ending the container (issue 11: notify's
timers call the customer service)."""
from nameko.amqp.publish import UndeliverableMessage

from services.common.rpc import AuthenticatedRpc


def entrypoint():
    rpc = object.__new__(AuthenticatedRpc)
    rpc.method_name = "settings"
    return rpc


def test_a_reply_refused_for_an_earlier_return_is_sent_again():
    tries = []

    def send():
        tries.append(1)
        if len(tries) == 1:
            raise UndeliverableMessage()
        return "sent"

    assert entrypoint()._reply(send) == "sent"
    assert len(tries) == 2


def test_a_reply_whose_caller_is_gone_is_dropped_not_fatal():
    tries = []

    def send():
        tries.append(1)
        raise UndeliverableMessage()

    assert entrypoint()._reply(send) is None
    assert len(tries) == 2
