"""The ticket service 工单: work orders (T1–T9).

The entrypoints live by area in services/ticket/entrypoints/ and are mixed in here:
tickets (accepting, lifecycle of the customer), forms (kinds, categories and their
forms), workflow (transitions, transfer, trail), queues, sla (due times, escalation,
reminders), dispatch (field jobs and handling records), contacts (contact log, call
events), knowledge (knowledge base), staff (the staff read model and duty), overview
(the screen pop's part).
"""
from services.common.db import Database
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.metrics import Metrics
from services.common.rpc import proxy
from services.ticket.contract import SERVICE
from services.ticket.entrypoints.contacts import ContactsEntrypoints
from services.ticket.entrypoints.dispatch import DispatchEntrypoints
from services.ticket.entrypoints.forms import FormsEntrypoints
from services.ticket.entrypoints.knowledge import KnowledgeEntrypoints
from services.ticket.entrypoints.overview import OverviewEntrypoints
from services.ticket.entrypoints.queues import QueuesEntrypoints
from services.ticket.entrypoints.sla import SlaEntrypoints
from services.ticket.entrypoints.staff import StaffEntrypoints
from services.ticket.entrypoints.tickets import TicketEntrypoints
from services.ticket.entrypoints.workflow import WorkflowEntrypoints


class TicketService(TicketEntrypoints, FormsEntrypoints, WorkflowEntrypoints,
                    QueuesEntrypoints, SlaEntrypoints, DispatchEntrypoints,
                    ContactsEntrypoints, KnowledgeEntrypoints, StaffEntrypoints,
                    OverviewEntrypoints,
                    HealthCheck):
    name = SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()
    customers = proxy("customer")


SERVICE = TicketService
