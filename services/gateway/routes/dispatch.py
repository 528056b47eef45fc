"""Gateway routes: dispatch (being built)."""


class DispatchRoutes:
    pass
