"""The customer service 客户档案: the archive with its confidentiality, borrowing log,
destruction, import/export, duplicates, segments and search (C1–C9).

Each operation: load with its contract schema, one handler in one transaction, dump.
The index of operations and events is contract/__init__.py.  Every transaction
starts by telling row-level security who is asking (handlers.access.bind_principal).
"""
from nameko.timer import timer

from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.ids import parse_id
from services.common.metrics import Metrics
from services.common.rpc import rpc_entrypoints
from services.customer import contract
from services.customer.contract import destruction as destruction_schemas
from services.customer.contract import events
from services.customer.contract import imports as imports_schemas
from services.customer.contract import records as records_schemas
from services.customer.contract import search as search_schemas
from services.customer.handlers import (
    access,
    archive,
    destruction,
    imports,
    reach,
    records,
    search,
    visits,
)

rpc = rpc_entrypoints(contract.CONTRACT)
# Schema instances are reused: building one per call costs more than the dump itself.
CUSTOMER, CUSTOMERS = records_schemas.Customer(), records_schemas.CustomerList()
CUSTOMER_CREATE = records_schemas.CustomerCreate()
CUSTOMER_UPDATE = records_schemas.CustomerUpdate()
ASSET_IN, HISTORY = records_schemas.AssetIn(), records_schemas.History()
LOOKUP_QUERY, LOOKUP_RESULT = records_schemas.LookupQuery(), records_schemas.LookupResult()
REVIEW_DUE_QUERY = records_schemas.ReviewDueQuery()
CUSTOM_FIELD_IN, CUSTOM_FIELD = records_schemas.CustomFieldIn(), records_schemas.CustomField()
CUSTOM_FIELDS = records_schemas.CustomFieldList()
CLASSIFICATION, UNMASK_REQUEST = records_schemas.Classification(), records_schemas.UnmaskRequest()
FULL_PHONES = records_schemas.FullPhones()
ARCHIVE_READING_IN = records_schemas.ArchiveReadingIn()
ARCHIVE_READING = records_schemas.ArchiveReading()
ACCESS_REQUEST_IN = records_schemas.AccessRequestIn()
ACCESS_REQUEST = records_schemas.AccessRequest()
ACCESS_DECISION_IN = records_schemas.AccessDecisionIn()
ACCESS_REQUESTS, ACCESS_LOG = records_schemas.AccessRequestList(), records_schemas.AccessLogPage()
TICKET_CONTACT = events.TicketContact()
SEARCH_QUERY, SEARCH_RESULT = search_schemas.SearchQuery(), search_schemas.SearchResult()
DUPLICATES_QUERY, DUPLICATES = search_schemas.DuplicatesQuery(), search_schemas.DuplicatesPage()
MERGE_IN, MERGE_RESULT = search_schemas.MergeIn(), search_schemas.MergeResult()
SEGMENT_QUERY, SEGMENT = search_schemas.SegmentQuery(), search_schemas.SegmentPage()
CONTACTS_QUERY, CONTACTS = search_schemas.ContactPointsQuery(), search_schemas.ContactPoints()
SEGMENT_CONTACTS_QUERY = search_schemas.SegmentContactsQuery()
SEGMENT_CONTACTS = search_schemas.SegmentContactsPage()
DESTRUCTION_IN = destruction_schemas.DestructionRequestIn()
DESTRUCTION_QUERY = destruction_schemas.DestructionQuery()
DESTRUCTION_REQUEST = destruction_schemas.DestructionRequest()
DESTRUCTION_REQUESTS = destruction_schemas.DestructionRequestList()
APPROVAL_IN, REJECTION_IN = destruction_schemas.ApprovalIn(), destruction_schemas.RejectionIn()
IMPORT_REQUEST, IMPORT_RESULT = imports_schemas.ImportRequest(), imports_schemas.ImportResult()
EXPORT_QUERY, EXPORT_FILE = imports_schemas.ExportQuery(), imports_schemas.ExportFile()


class CustomerService(HealthCheck):
    name = contract.SERVICE

    db = Database(on_begin=access.bind_principal)
    principal = Identity()
    metrics = Metrics()

    # -- records (C1–C3, C5) ---------------------------------------------------------
    @rpc
    def create_customer(self, data):
        """A new person or organization with phones, emails, assets and archive: the
        customer as the caller sees it."""
        records.refuse_unwritable(self.principal, data)
        fields = CUSTOMER_CREATE.load(data)
        with self.db.transaction() as tx:
            return CUSTOMER.dump(records.create_customer(tx, self.principal, fields))

    @rpc
    def get_customer(self, customer_id, reason=""):
        """The card, and the archive when the caller may read it (logged at level ≥ 1)."""
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return CUSTOMER.dump(records.get_customer(tx, self.principal, customer_id, reason))

    @rpc
    def get_card(self, customer_id):
        """The card only (no archive, nothing logged): for services that need to know a
        customer exists, e.g. before accepting a ticket."""
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return CUSTOMER.dump(records.get_card(tx, customer_id))

    @rpc
    def update_customer(self, customer_id, data):
        """The customer after changing the card and archive fields the caller's role may
        write (history kept)."""
        customer_id = parse_id(customer_id, "customer")
        records.refuse_unwritable(self.principal, data)
        fields = CUSTOMER_UPDATE.load(data)
        with self.db.transaction() as tx:
            return CUSTOMER.dump(records.update_customer(tx, self.principal, customer_id,
                                                         fields))

    @rpc
    def add_asset(self, customer_id, data):
        """The customer with an owned product or vehicle recorded (C2)."""
        customer_id = parse_id(customer_id, "customer")
        asset = ASSET_IN.load(data)
        with self.db.transaction() as tx:
            return CUSTOMER.dump(records.add_asset(tx, self.principal, customer_id, asset))

    @rpc
    def lookup(self, query, view=False):
        """Who is calling (C3): {"matches": [cards], "view": full view of a single match};
        `query` holds exactly one of phone (any written form), email, number, plate,
        serial (a bare string is a phone).  Lookups by phone of a role that may not
        unmask are limited per staff member and logged."""
        query = LOOKUP_QUERY.load(query)
        with self.db.transaction() as tx:
            return LOOKUP_RESULT.dump(records.lookup(tx, self.principal, query, view))

    @rpc
    def history(self, customer_id, limit=100):
        """Change history (C5), newest first; archive fields only when cleared."""
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return HISTORY.dump(records.history(tx, self.principal, customer_id, limit))

    @rpc
    def mark_reviewed(self, customer_id):
        """The customer, reviewed now (C5: records unreviewed for 3 months are listed)."""
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return CUSTOMER.dump(records.mark_reviewed(tx, self.principal, customer_id))

    @rpc
    def review_due(self, months=3, limit=100):
        """Cards of the records not reviewed for `months` months, oldest first."""
        query = REVIEW_DUE_QUERY.load({"months": months, "limit": limit})
        with self.db.transaction() as tx:
            return CUSTOMERS.dump(records.review_due(tx, query))

    @rpc
    def define_custom_field(self, data):
        """A custom field definition, created or changed (admin)."""
        definition = CUSTOM_FIELD_IN.load(data)
        with self.db.transaction() as tx:
            return CUSTOM_FIELD.dump(records.define_custom_field(tx, definition))

    @rpc
    def custom_fields(self):
        """Every custom field definition: {"fields": [...]}."""
        with self.db.transaction() as tx:
            return CUSTOM_FIELDS.dump(records.custom_fields(tx))

    # -- confidentiality (C4) and the borrowing log ------------------------------------
    @rpc
    def classify(self, customer_id, data):
        """The customer after setting level, declassification and owner (managers and
        above, never above their own clearance); history, log and customer_classified."""
        customer_id = parse_id(customer_id, "customer")
        classification = CLASSIFICATION.load(data)
        with self.db.transaction() as tx:
            return CUSTOMER.dump(access.classify(tx, self.principal, customer_id,
                                                 classification))

    @rpc
    def unmask_phones(self, customer_id, reason):
        """The phone numbers in full: a permission of its own, always logged."""
        customer_id = parse_id(customer_id, "customer")
        why = UNMASK_REQUEST.load({"reason": reason})["reason"]
        return FULL_PHONES.dump(access.unmask_phones(self.db, self.principal, customer_id, why))

    @rpc
    def read_archive_for(self, customer_id, reason="", subject=None):
        """{"allowed", "reason", "level"}: may the caller read what another service holds
        of this customer (a classified customer's ticket)?  Decided and logged here."""
        customer_id = parse_id(customer_id, "customer")
        asked = ARCHIVE_READING_IN.load({"reason": reason, "subject": subject or {}})
        with self.db.transaction() as tx:
            return ARCHIVE_READING.dump(archive.read_archive_for(
                tx, self.principal, customer_id, asked["reason"], asked["subject"]))

    @rpc
    def request_access(self, data):
        """A pending request to borrow (借阅) a top-secret archive for some hours."""
        request = ACCESS_REQUEST_IN.load(data)
        with self.db.transaction() as tx:
            return ACCESS_REQUEST.dump(access.request_access(tx, self.principal, request))

    @rpc
    def decide_access_request(self, request_id, data):
        """The request approved or rejected (by a manager or above who is not the
        requester, cleared for the record); an approval opens the archive until it
        expires."""
        decision = ACCESS_DECISION_IN.load(data)
        request_id = parse_id(request_id, "access request")
        with self.db.transaction() as tx:
            return ACCESS_REQUEST.dump(access.decide_access_request(
                tx, self.principal, request_id, decision))

    @rpc
    def access_requests(self, status=None, limit=100):
        """Borrowing requests newest first, of one status or all: {"requests": [...]}."""
        with self.db.transaction() as tx:
            return ACCESS_REQUESTS.dump(access.access_requests(tx, status, limit))

    @rpc
    def access_log(self, customer_id, before=None, limit=100):
        """The borrowing log of one customer, newest first: {"entries", "next"}, `next`
        the `before` of the following page (null on the last)."""
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return ACCESS_LOG.dump(access.access_log(tx, customer_id, before, limit))

    @timer(interval=5)
    def declassify_due(self):
        """Declassifications whose date has passed, made real (C4); safe with replicas."""
        with self.db.transaction() as tx:
            access.declassify_due(tx, self.principal)

    @on_event("ticket", "ticket_created")
    def ticket_contact(self, event):
        """A ticket is a contact: keeps last_contact_at for segments (C9)."""
        with self.db.transaction() as tx:
            access.ticket_created(tx, TICKET_CONTACT.load(event["data"]), event["occurred_at"])

    # -- search, duplicates and merge (C8), segments (C9) ------------------------------
    @rpc
    def search_customers(self, query):
        """Live customers matching a name (张三, 张), pinyin (zhangsan), initials (zs),
        part of a phone number (≥ 4 digits) or a customer number prefix: SearchResult
        with cards, best first (a bare string is the text)."""
        query = SEARCH_QUERY.load(query)
        with self.db.transaction() as tx:
            return SEARCH_RESULT.dump(search.search_customers(tx, query))

    @timer(interval=1)
    def sync_search_keys(self):
        """Search keys of customers changed in bulk (imports of more than 1000 rows)
        rebuilt within a second or two (migration 0003); safe with replicas."""
        search.sync_search_keys(self.db)

    @rpc
    def find_duplicates(self, query=None):
        """Likely duplicate pairs (C8) with their reasons (phone, name, pinyin) and a score.

        With `customer_id`: every pair that customer is part of.  Without: a scan of
        all customers (or those created since `created_after`), newest first, each pair
        reported once, by its newer member; a page holds the pairs of whole customers
        (about `limit`), examines at most `scan` customers (and stops after about two
        seconds), and its `cursor` continues the scan (null when it is complete)."""
        query = DUPLICATES_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return DUPLICATES.dump(search.find_duplicates(tx, query))

    @rpc
    def merge_customers(self, survivor_id, data):
        """Customer `merge_id` merged into `survivor_id` (C8): MergeResult.

        The survivor keeps its number; phones, emails, assets and tags are united; the
        merged customer's archive fills the survivor's empty fields; the survivor's
        level rises to cover both.  Both histories stay; the merged record stays (with
        `merged_into`) but is hidden from search and lookup.  Publishes customer_merged.
        NotFound when either is gone or out of the caller's scope or clearance;
        Forbidden for classified records below manager or without a top-secret grant."""
        survivor_id = parse_id(survivor_id, "customer")
        body = MERGE_IN.load(data if isinstance(data, dict) else {})
        return MERGE_RESULT.dump(search.merge_customers(self.db, self.principal, survivor_id,
                                                        body))

    @rpc
    def segment(self, query=None):
        """Customers by kind, credit class, lifecycle, level, grade, region prefix, tags,
        owned product or model, no contact for N months, creation period (C9): a page of
        cards in a stable order with an opaque `cursor` for the next page (null on the
        last); every matching customer comes exactly once over the pages, also when
        customers are added meanwhile (they come at the end).  `total` when `count`."""
        query = SEGMENT_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return SEGMENT.dump(search.segment(tx, query))

    # -- reaching customers (notify's system identity only; logged) ------------------
    @rpc
    def contact_points(self, query=None):
        """ContactPoints (name, effective level, first phone in E.164, first email) of
        the customers one notification goes to; each read in the borrowing log."""
        query = CONTACTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return CONTACTS.dump(reach.contact_points(tx, self.principal, query))

    @rpc
    def segment_contacts(self, query=None):
        """A page of a segment (the filters and cursor of `segment`) as contact points,
        for a bulk send; one borrowing-log row per page."""
        query = SEGMENT_CONTACTS_QUERY.load(query or {})
        with self.db.transaction() as tx:
            return SEGMENT_CONTACTS.dump(reach.segment_contacts(tx, self.principal, query))

    # -- destruction (C6) ---------------------------------------------------------------
    @rpc
    def request_destruction(self, customer_id, data):
        """A pending DestructionRequest for the customer."""
        reason = DESTRUCTION_IN.load(data)["reason"]
        customer_id = parse_id(customer_id, "customer")
        with self.db.transaction() as tx:
            return DESTRUCTION_REQUEST.dump(destruction.request_destruction(
                tx, self.principal, customer_id, reason))

    @rpc
    def destruction_requests(self, status=None, limit=50):
        """Requests newest first: {"requests": [...]}; approvers and auditors see all
        within their clearance, others only their own."""
        query = DESTRUCTION_QUERY.load({"status": status, "limit": limit})
        with self.db.transaction() as tx:
            return DESTRUCTION_REQUESTS.dump(destruction.destruction_requests(
                tx, self.principal, query))

    @rpc
    def destruction_request(self, request_id):
        """One request with its decisions."""
        request_id = parse_id(request_id, "destruction request")
        with self.db.transaction() as tx:
            return DESTRUCTION_REQUEST.dump(destruction.destruction_request(
                tx, self.principal, request_id))

    @rpc
    def approve_destruction(self, request_id, data=None):
        """The request approved at the caller's step; the third approval erases the
        personal data, keeps a tombstone and publishes customer_destroyed."""
        comment = APPROVAL_IN.load(data or {})["comment"]
        request_id = parse_id(request_id, "destruction request")
        return DESTRUCTION_REQUEST.dump(destruction.decide(
            self.db, self.principal, self.metrics, request_id, "approve", comment))

    @rpc
    def reject_destruction(self, request_id, data):
        """The request rejected at the caller's step (a comment is required); it ends."""
        comment = REJECTION_IN.load(data or {})["comment"]
        request_id = parse_id(request_id, "destruction request")
        return DESTRUCTION_REQUEST.dump(destruction.decide(
            self.db, self.principal, self.metrics, request_id, "reject", comment))

    # -- import and export (C7) ---------------------------------------------------------
    @rpc
    def import_customers(self, data):
        """ImportResult of importing (or with dry_run checking) a CSV/XLSX file: rows
        upsert by customer number, else by phone; bad rows reported with row, field and
        reason, and skipped; a dry run changes no customer."""
        clock = imports.Clock()  # the decoding of the file counts as a phase
        request = IMPORT_REQUEST.load(data)
        return IMPORT_RESULT.dump(imports.import_customers(
            self.db, self.principal, self.metrics, request, clock))

    @rpc
    def import_visits(self, data):
        """ImportResult of importing (or with dry_run checking) a DMS export of workshop
        visits (CSV/XLSX, Chinese headers): each line linked to its vehicle by VIN, else
        plate; unmatched and bad lines reported with row, field, column and reason; a
        visit already recorded is not added again."""
        clock = imports.Clock()
        request = IMPORT_REQUEST.load(data)
        return IMPORT_RESULT.dump(visits.import_visits(
            self.db, self.principal, self.metrics, request, clock))

    @rpc
    def get_import(self, import_id):
        """One import or dry run with its counts and row errors."""
        import_id = parse_id(import_id, "import")
        with self.db.transaction() as tx:
            return IMPORT_RESULT.dump(imports.get_import(tx, import_id))

    @rpc
    def export_customers(self, query=None):
        """ExportFile (content base64) of a segment as CSV or XLSX with Chinese headers:
        phones masked unless `unmask` is asked and allowed; archive columns only where
        the archive may be read; the borrowing log records the export and each customer
        in it."""
        query = EXPORT_QUERY.load(query or {})
        return EXPORT_FILE.dump(imports.export_customers(self.db, self.principal, query))


SERVICE = CustomerService
