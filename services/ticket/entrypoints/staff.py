"""Entrypoints of the ticket service: staff (being built)."""


class StaffEntrypoints:
    pass
