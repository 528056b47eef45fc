"""Entrypoints of the ticket service: queues (being built)."""


class QueuesEntrypoints:
    pass
