"""Entrypoints of the ticket service: sla (being built)."""


class SlaEntrypoints:
    pass
