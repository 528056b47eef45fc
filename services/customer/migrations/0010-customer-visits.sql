-- depends: 0009-customer-event-copies
-- DMS visits (C7, issue 12 item 6): workshop visits of the customers' vehicles, imported
-- from a dealer system's export.  A visit belongs to an asset (found by VIN, else
-- plate): a merge that moves the asset moves its visits, a destruction that deletes the
-- asset deletes them.  The same visit (asset, date, service type, amount) is kept once,
-- so a re-import adds nothing.  Segments read the last visit from here (C9).
CREATE TABLE customer_visit (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    asset_id     uuid NOT NULL REFERENCES customer_asset (id) ON DELETE CASCADE,
    visited_on   date NOT NULL,
    service_type text NOT NULL DEFAULT '',
    mileage      integer CHECK (mileage >= 0),
    amount       numeric(12, 2) CHECK (amount >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customer_visit_once
        UNIQUE NULLS NOT DISTINCT (asset_id, visited_on, service_type, amount)
);
CREATE INDEX customer_visit_last ON customer_visit (asset_id, visited_on DESC);

ALTER TABLE customer_visit ENABLE ROW LEVEL SECURITY;
ALTER TABLE customer_visit FORCE ROW LEVEL SECURITY;
CREATE POLICY customer_visit_owner ON customer_visit
    USING (kefu_is_owner()) WITH CHECK (kefu_is_owner());
-- Like the assets they belong to: part of the card, for any bound principal.
CREATE POLICY customer_visit_card ON customer_visit
    USING (kefu_principal_set()) WITH CHECK (kefu_principal_set());

-- Which import an import record is: customers or DMS visits.
ALTER TABLE customer_import
    ADD COLUMN subject text NOT NULL DEFAULT 'customers'
        CHECK (subject IN ('customers', 'visits'));
