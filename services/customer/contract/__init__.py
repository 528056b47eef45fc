"""The customer service 客户档案 — its contract index: every RPC and every event.

Areas, each with its schemas in its own module:
  records      (C1–C3, C5) the card and the archive, lookup, history, custom fields;
               confidentiality (C4): classification, unmasking, borrowing requests,
               the borrowing log (access log) — contract/records.py
  search       (C8, C9) fuzzy search, duplicates and merge, segments — contract/search.py
  destruction  (C6) the three-step approval and the erase — contract/destruction.py
  imports      (C7) import and export of customers, import of DMS visits — contract/imports.py
  levels       confidentiality levels and their names — contract/levels.py
  events       what it publishes, and what it reads of others' — contract/events.py

`roles` is who may call (the service's @rpc takes them from here); errors are
besides Unauthenticated and Forbidden, which any call may answer.
"""
from services.common.contracts import Consumes, Contract, Event, Operation
from services.common.errors import Conflict, Invalid, NotFound, TooManyRequests
from services.customer.contract.destruction import (
    ApprovalIn,
    DestructionQuery,
    DestructionRequest,
    DestructionRequestIn,
    DestructionRequestList,
    RejectionIn,
)
from services.customer.contract.events import (
    CustomerClassified,
    CustomerCreated,
    CustomerDestroyed,
    CustomerMerged,
    CustomerUpdated,
)
from services.customer.contract.imports import ExportFile, ExportQuery, ImportRequest, ImportResult
from services.customer.contract.records import (
    AccessDecisionIn,
    AccessLogPage,
    AccessRequest,
    AccessRequestIn,
    AccessRequestList,
    ArchiveReading,
    ArchiveReadingIn,
    AssetIn,
    Classification,
    Customer,
    CustomerCreate,
    CustomerList,
    CustomerUpdate,
    CustomField,
    CustomFieldIn,
    CustomFieldList,
    FullPhones,
    History,
    LookupQuery,
    LookupResult,
    ReviewDueQuery,
    UnmaskRequest,
)
from services.customer.contract.search import (
    ContactPoints,
    ContactPointsQuery,
    DuplicatesPage,
    DuplicatesQuery,
    MergeIn,
    MergeResult,
    SearchQuery,
    SearchResult,
    SegmentContactsPage,
    SegmentContactsQuery,
    SegmentPage,
    SegmentQuery,
)
from services.vocabulary import (
    ADMINS,
    AUDITOR,
    FRONT_LINE,
    MANAGERS_UP,
    OPERATORS,
    STAFF,
    SUPERVISORS_UP,
)

SERVICE = "customer"

# Who may read the borrowing log 借阅日志 (and the borrowing requests): managers and
# auditors.  The gateway's routes take it from here.
LOG_READERS = MANAGERS_UP | {AUDITOR}
# Destruction: any front-line staff member asks; supervisor, manager and general
# manager approve in that order (each step's role: domain/destruction.py).
DESTRUCTION_REQUESTERS = FRONT_LINE
DESTRUCTION_READERS = FRONT_LINE | {AUDITOR}
DESTRUCTION_APPROVERS = SUPERVISORS_UP
IMPORTERS = SUPERVISORS_UP | ADMINS
# No staff role: an operation only a named service's system identity may call.
NOBODY: frozenset = frozenset()

CONTRACT = Contract(
    SERVICE,
    operations=[
        # -- records (C1–C3, C5)
        #         name                     roles                         input                 output                  errors
        Operation("create_customer",       OPERATORS,                    CustomerCreate,       Customer,               (Invalid,)),
        Operation("get_customer",          STAFF,                        None,                 Customer,               (NotFound,)),
        Operation("get_card",              STAFF,                        None,                 Customer,               (NotFound,), system=frozenset({"survey"})),
        Operation("update_customer",       OPERATORS,                    CustomerUpdate,       Customer,               (Invalid, NotFound)),
        Operation("add_asset",             OPERATORS,                    AssetIn,              Customer,               (Invalid, NotFound)),
        Operation("lookup",                STAFF,                        LookupQuery,          LookupResult,           (Invalid, TooManyRequests)),
        Operation("history",               SUPERVISORS_UP | LOG_READERS, None,                 History,                (NotFound,)),
        Operation("mark_reviewed",         SUPERVISORS_UP,               None,                 Customer,               (NotFound,)),
        Operation("review_due",            SUPERVISORS_UP,               ReviewDueQuery,       CustomerList,           (Invalid,)),
        Operation("define_custom_field",   ADMINS,                       CustomFieldIn,        CustomField,            (Invalid,)),
        Operation("custom_fields",         STAFF,                        None,                 CustomFieldList),
        # -- confidentiality (C4) and the borrowing log
        Operation("classify",              MANAGERS_UP,                  Classification,       Customer,               (Invalid, NotFound)),
        Operation("unmask_phones",         STAFF,                        UnmaskRequest,        FullPhones,             (Invalid, NotFound)),
        Operation("read_archive_for",      STAFF,                        ArchiveReadingIn,     ArchiveReading,         (Invalid, NotFound)),
        Operation("request_access",        MANAGERS_UP,                  AccessRequestIn,      AccessRequest,          (Invalid, NotFound)),
        Operation("decide_access_request", MANAGERS_UP,                  AccessDecisionIn,     AccessRequest,          (Invalid, NotFound, Conflict)),
        Operation("access_requests",       LOG_READERS,                  None,                 AccessRequestList,      (Invalid,)),
        Operation("access_log",            LOG_READERS,                  None,                 AccessLogPage,          (Invalid, NotFound)),
        # -- search, duplicates and merge (C8), segments (C9)
        Operation("search_customers",      STAFF,                        SearchQuery,          SearchResult,           (Invalid,)),
        Operation("find_duplicates",       SUPERVISORS_UP,               DuplicatesQuery,      DuplicatesPage,         (Invalid, NotFound)),
        Operation("merge_customers",       SUPERVISORS_UP,               MergeIn,              MergeResult,            (Invalid, NotFound)),
        Operation("segment",               SUPERVISORS_UP,               SegmentQuery,         SegmentPage,            (Invalid,)),
        # -- reaching customers: full phone and email, for notify's system identity only
        # (N1, N3) — and a segment for the survey's, freezing a campaign's list (V5);
        # every read is in the borrowing log (a segment: one row per page)
        Operation("contact_points",        NOBODY,                       ContactPointsQuery,   ContactPoints,          (Invalid,), system=frozenset({"notify"})),
        Operation("segment_contacts",      NOBODY,                       SegmentContactsQuery, SegmentContactsPage,    (Invalid,), system=frozenset({"notify", "survey"})),
        # -- destruction (C6)
        Operation("request_destruction",   DESTRUCTION_REQUESTERS,       DestructionRequestIn, DestructionRequest,     (Invalid, NotFound, Conflict)),
        Operation("destruction_requests",  DESTRUCTION_READERS,          DestructionQuery,     DestructionRequestList, (Invalid,)),
        Operation("destruction_request",   DESTRUCTION_READERS,          None,                 DestructionRequest,     (NotFound,)),
        Operation("approve_destruction",   DESTRUCTION_APPROVERS,        ApprovalIn,           DestructionRequest,     (Invalid, NotFound, Conflict)),
        Operation("reject_destruction",    DESTRUCTION_APPROVERS,        RejectionIn,          DestructionRequest,     (Invalid, NotFound, Conflict)),
        # -- import and export (C7)
        Operation("import_customers",      IMPORTERS,                    ImportRequest,        ImportResult,           (Invalid,)),
        Operation("import_visits",         IMPORTERS,                    ImportRequest,        ImportResult,           (Invalid,)),  # DMS visits
        Operation("get_import",            IMPORTERS,                    None,                 ImportResult,           (NotFound,)),
        Operation("export_customers",      SUPERVISORS_UP,               ExportQuery,          ExportFile,             (Invalid,)),
    ],
    events=[
        Event("customer_created",    CustomerCreated),
        Event("customer_updated",    CustomerUpdated),     # also after a merge fills fields
        Event("customer_classified", CustomerClassified),  # classify, declassification, merge
        Event("customer_merged",     CustomerMerged),
        Event("customer_destroyed",  CustomerDestroyed),   # one per erased record
    ],
    consumes=[
        Consumes("ticket", "ticket_created"),  # -> the customer's last contact (C9 segments)
    ],
)
