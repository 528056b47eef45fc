"""Gateway routes: contacts (being built)."""


class ContactsRoutes:
    pass
