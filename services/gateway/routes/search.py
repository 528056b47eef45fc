"""Gateway routes: fuzzy customer search, duplicates and merge (C8), segments (C9);
mixed into GatewayService.  The customer service validates and decides access; query
strings go to it as they came (lists comma separated)."""
from services.common.rpc import call
from services.customer.contract import search as schemas
from services.gateway.http import api, json_object
from services.vocabulary import STAFF, SUPERVISORS_UP


class SearchRoutes:
    """HTTP routes for search, duplicates, merge and segments."""

    @api("GET", "/api/v1/customers/search",
         "Find customers by name (张三, 张), pinyin (zhangsan) or initials (zs), part of a "
         "phone number (4+ digits) or a customer number prefix", allow=STAFF,
         query=schemas.SearchQuery, response=schemas.SearchResult)
    def search_customers(self, request):
        return call(self.customer.search_customers, request.args.to_dict(),
                    timeout=self.deadline)

    @api("GET", "/api/v1/customers/duplicates",
         "Likely duplicate customers (shared phone, similar name, same pinyin), paged by "
         "cursor; or those of one customer_id", allow=SUPERVISORS_UP,
         query=schemas.DuplicatesQuery, response=schemas.DuplicatesPage)
    def find_duplicates(self, request):
        return call(self.customer.find_duplicates, request.args.to_dict(),
                    timeout=self.deadline)

    @api("POST", "/api/v1/customers/<customer_id>/merge",
         "Merge customer merge_id into this one (history of both kept; customer_merged)",
         allow=SUPERVISORS_UP, body=schemas.MergeIn, response=schemas.MergeResult)
    def merge_customers(self, request, customer_id):
        return call(self.customer.merge_customers, customer_id, json_object(request),
                    timeout=self.deadline)

    @api("GET", "/api/v1/customers/segment",
         "Customers by class, level, region, tags, owned product, months without contact; "
         "pages of up to 1000 with a stable cursor", allow=SUPERVISORS_UP,
         query=schemas.SegmentQuery, response=schemas.SegmentPage)
    def segment(self, request):
        return call(self.customer.segment, request.args.to_dict(), timeout=self.deadline)
