-- depends: 0008-customer-phone-lookups
-- The erase of a customer (C6) also scrubs the copies of its events: sent outbox rows
-- and parked events keep only the customer's id (issue 9, finding 11d).  This index
-- finds a customer's sent events without reading the whole outbox.
CREATE INDEX outbox_sent_customer ON outbox ((envelope -> 'data' ->> 'customer_id'))
    WHERE sent_at IS NOT NULL;
