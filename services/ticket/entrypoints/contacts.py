"""Entrypoints of the ticket service: contacts (being built)."""


class ContactsEntrypoints:
    pass
