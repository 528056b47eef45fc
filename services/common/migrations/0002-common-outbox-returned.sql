-- depends: 0001-common-rpc-deliveries
-- Events the broker returned as unroutable (issue 9, finding 11): the relay publishes
-- with `mandatory`, and an event no queue is bound for comes back.  Its row is kept,
-- marked sent (it would never route: retrying would only stall the outbox) and
-- returned.  Subscriber queues are declared at migrate time, so a returned event of a
-- type some service consumes means a missing `declare`: after declaring, send it again
-- with  UPDATE outbox SET sent_at = NULL, returned_at = NULL WHERE returned_at IS NOT NULL
--       AND event_type = '<type>';
ALTER TABLE outbox ADD COLUMN returned_at timestamptz;
