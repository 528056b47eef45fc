"""Gateway routes: import and export of customers (C7), mixed into GatewayService.

    POST /api/v1/customer-imports    multipart: file=<the file>, dry_run=true|false,
                                     mapping={"header": "field" | null, ...} (JSON);
                                     or the raw file as the body with ?filename=...&dry_run=
                                     &mapping=  -> 200 (dry run) / 201 with the ImportResult
    GET  /api/v1/customer-imports/{id}            -> the ImportResult with its row errors
    GET  /api/v1/customers/export?format=csv|xlsx&kind=&level=&region=&tags=&lifecycle=
         &credit_class=&grade=&unmask=&limit=     -> the file (Content-Disposition)

An upload may be up to 20 MiB (the customer service's limit) plus the multipart
envelope; the request body limit is raised for the import route alone (the
gateway's default is 1 MiB).  Imports and exports get a deadline of 120 s.
"""
import base64
import json
from urllib.parse import quote

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from services.common.errors import Invalid
from services.common.rpc import call
from services.customer.contract import imports as customer
from services.gateway.http import api
from services.vocabulary import ADMINS, SUPERVISORS_UP

IMPORTERS = SUPERVISORS_UP | ADMINS
EXPORTERS = SUPERVISORS_UP
BULK_DEADLINE = 120.0
MAX_UPLOAD = customer.MAX_FILE_BYTES + (1 << 20)  # the file plus the multipart envelope
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(value, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid("not a boolean", {name: ["true or false"]})


def _mapping(value) -> dict:
    if value is None or not value.strip():
        return {}
    try:
        mapping = json.loads(value)
    except ValueError as exc:
        raise Invalid("mapping is not JSON", {"mapping": ["not valid JSON"]}) from exc
    if not isinstance(mapping, dict):
        raise Invalid("mapping must be an object", {"mapping": ['{"column header": "field"}']})
    return mapping


def _too_large() -> Invalid:
    return Invalid("the file is too large",
                   {"file": [f"larger than {customer.MAX_FILE_BYTES >> 20} MiB"]})


class ImportsRoutes:
    """HTTP routes for customer import and export; the customer service decides access."""

    @api("POST", "/api/v1/customer-imports",
         "Import customers from CSV/XLSX (multipart field `file`; dry_run, mapping)",
         allow=IMPORTERS, status=201, response=customer.ImportResult)
    def import_customers(self, request):
        if request.content_length and request.content_length > MAX_UPLOAD:
            raise _too_large()
        request.max_content_length = MAX_UPLOAD  # this route only; the default stays 1 MiB
        try:
            if request.mimetype == "multipart/form-data":
                upload = request.files.get("file")
                if upload is None:
                    raise Invalid("no file", {"file": ["send the file in the form field 'file'"]})
                content, filename = upload.read(), upload.filename or ""
                fields = request.form
            else:
                content, filename = request.get_data(), request.args.get("filename", "")
                fields = request.args
        except RequestEntityTooLarge as exc:
            raise _too_large() from exc
        filename = filename or request.args.get("filename", "") or fields.get("filename", "")
        dry_run = _flag(fields.get("dry_run", request.args.get("dry_run")), "dry_run")
        mapping = _mapping(fields.get("mapping", request.args.get("mapping")))
        if not content:
            raise Invalid("no file", {"file": ["the file is empty"]})
        if not filename:
            raise Invalid("no file name", {"filename": ["give the file name (.csv or .xlsx)"]})
        result = call(self.customer.import_customers,
                      {"filename": filename, "dry_run": dry_run, "mapping": mapping,
                       "content": base64.b64encode(content).decode("ascii")},
                      timeout=BULK_DEADLINE)
        return (200 if dry_run else 201), result

    @api("GET", "/api/v1/customer-imports/<import_id>",
         "One import or dry run: counts and every bad row", allow=IMPORTERS,
         response=customer.ImportResult)
    def get_import(self, request, import_id):
        return call(self.customer.get_import, import_id, timeout=self.deadline)

    @api("GET", "/api/v1/customers/export",
         "A segment as CSV or XLSX with Chinese headers (logged)", allow=EXPORTERS,
         query=customer.ExportQuery)
    def export_customers(self, request):
        query = request.args.to_dict()
        if "tags" in request.args:
            query["tags"] = ",".join(request.args.getlist("tags"))
        got = call(self.customer.export_customers, query, timeout=BULK_DEADLINE)
        name = got["filename"]
        disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
        return Response(base64.b64decode(got["content"]), status=200,
                        content_type=got["content_type"],
                        headers={"Content-Disposition": disposition,
                                 "X-Export-Count": str(got["count"]),
                                 "X-Export-Truncated": "true" if got["truncated"] else "false"})
