"""Gateway routes: time (T6) — SLA targets, business hours and the calendar (admins
set them), the due view, personal reminders; and the inbox's mark-as-read.  The
services validate and decide scope themselves."""
from services.common.rpc import call
from services.gateway.http import api, json_object
from services.notify import contract as notify
from services.ticket.contract import sla as sla
from services.vocabulary import ADMINS, STAFF, SUPERVISORS_UP

P = "/api/v1/sla/policies/<kind>/<urgency>"


class SlaRoutes:
    @api("GET", "/api/v1/sla/policies",
         "Response and resolution targets (business minutes) per kind x urgency",
         allow=STAFF, response=sla.SlaPolicies)
    def sla_get_policies(self, request):
        return call(self.ticket.sla_policies, timeout=self.deadline)

    @api("PUT", P, "Set one kind x urgency's targets (admins; tickets created after)",
         allow=ADMINS, body=sla.SlaPolicyIn, response=sla.SlaPolicy)
    def sla_put_policy(self, request, kind, urgency):
        return call(self.ticket.set_sla_policy, kind, urgency, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/sla/business-hours", "Business hours and their time zone",
         allow=STAFF, response=sla.BusinessHours)
    def sla_get_hours(self, request):
        return call(self.ticket.business_hours, timeout=self.deadline)

    @api("PUT", "/api/v1/sla/business-hours", "Set the business hours (admins)",
         allow=ADMINS, body=sla.BusinessHoursIn, response=sla.BusinessHours)
    def sla_put_hours(self, request):
        return call(self.ticket.set_business_hours, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/sla/calendar",
         "Working days of [from, to]: override, chinese_calendar or the weekend rule",
         allow=STAFF, query=sla.CalendarQuery, response=sla.CalendarView)
    def sla_get_calendar(self, request):
        return call(self.ticket.calendar, request.args.to_dict(), timeout=self.deadline)

    @api("PUT", "/api/v1/sla/calendar/<day>",
         "Make a day a working day or a day off (admins; e.g. next year's holidays)",
         allow=ADMINS, body=sla.CalendarDayIn, response=sla.CalendarDay)
    def sla_put_calendar_day(self, request, day):
        return call(self.ticket.set_calendar_day, day, json_object(request),
                    timeout=self.deadline)

    @api("DELETE", "/api/v1/sla/calendar/<day>",
         "Drop a day's override: the built-in calendar again (admins)", allow=ADMINS,
         response=sla.CalendarDay)
    def sla_delete_calendar_day(self, request, day):
        return call(self.ticket.delete_calendar_day, day, timeout=self.deadline)

    @api("GET", "/api/v1/tickets/overdue",
         "Open tickets by resolution due time; breached=true only those past it"
         " (supervisors: their groups)", allow=SUPERVISORS_UP, query=sla.DueQuery,
         response=sla.DueList)
    def sla_overdue(self, request):
        return call(self.ticket.due_tickets, request.args.to_dict(), timeout=self.deadline)

    @api("POST", "/api/v1/tickets/<ticket_id>/reminders",
         "Remind me of this ticket: at a time, or in N minutes/hours/days", allow=STAFF,
         status=201, body=sla.ReminderIn, response=sla.Reminder)
    def sla_remind(self, request, ticket_id):
        return call(self.ticket.remind, ticket_id, json_object(request), timeout=self.deadline)

    @api("GET", "/api/v1/reminders", "My reminders by due time (pending unless pending=false)",
         allow=STAFF, query=sla.ReminderQuery, response=sla.ReminderList)
    def sla_my_reminders(self, request):
        return call(self.ticket.my_reminders, request.args.to_dict(), timeout=self.deadline)

    @api("DELETE", "/api/v1/reminders/<reminder_id>", "Cancel one of my pending reminders",
         allow=STAFF, response=sla.Reminder)
    def sla_cancel_reminder(self, request, reminder_id):
        return call(self.ticket.cancel_reminder, reminder_id, timeout=self.deadline)

    @api("PUT", "/api/v1/inbox/<item_id>/read", "Mark one of my notices read", allow=STAFF,
         response=notify.InboxItem)
    def inbox_mark_read(self, request, item_id):
        return call(self.notify.mark_read, item_id, timeout=self.deadline)
