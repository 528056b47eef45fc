"""The customer service 客户档案: records, phones and the caller lookup."""
from services.common.db import Database
from services.common.health import HealthCheck
from services.common.identity import OPERATORS, STAFF, Identity, rpc
from services.common.metrics import Metrics
from services.customer import contract, domain, store


class CustomerService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()

    @rpc(allow=OPERATORS)
    def create_customer(self, data):
        """Create a person or organization; returns Customer. Invalid on bad fields."""
        fields = contract.CustomerCreate().load(data)
        phones = domain.unique_phones(fields["phones"])
        with self.db.transaction() as tx:
            number = domain.customer_number(store.next_number(tx.cur))
            row = store.insert_customer(tx.cur, number, fields["kind"], fields["name"],
                                        self.principal.id)
            store.insert_phones(tx.cur, row["id"], phones)
            tx.emit("customer_created", contract.CustomerCreated().dump(
                {"customer_id": row["id"], "number": number, "kind": row["kind"]}))
        return contract.Customer().dump(domain.present(row, phones))

    @rpc(allow=STAFF)
    def get_customer(self, customer_id):
        """The customer with this id; NotFound when there is none."""
        with self.db.transaction() as tx:
            row = store.get_customer(tx.cur, domain.parse_id(customer_id))
            if row is None:
                raise domain.no_such_customer()
            phones = store.phones_of(tx.cur, [row["id"]])[row["id"]]
        return contract.Customer().dump(domain.present(row, phones))

    @rpc(allow=STAFF)
    def lookup(self, phone):
        """Customers owning this phone, in any written form: {"matches": [...]}."""
        query = contract.LookupQuery().load({"phone": phone})
        with self.db.transaction() as tx:
            rows = store.find_by_phone(tx.cur, query["phone"]["e164"])
            phones = store.phones_of(tx.cur, [r["id"] for r in rows]) if rows else {}
        matches = [domain.present(r, phones[r["id"]]) for r in rows]
        return contract.LookupResult().dump({"matches": matches})


SERVICE = CustomerService
