-- depends: 0012-ticket-report-feed
-- The report's check of field work (issue 13, report_dispatch_counts): jobs sent per
-- China day (by created_at) and jobs done per day by their finish (finished_at, never
-- after recorded_at) — each range served by an index rather than a scan of every job.
CREATE INDEX dispatch_created ON dispatch (created_at);
CREATE INDEX handling_record_done_finish ON handling_record ((least(finished_at, recorded_at)))
    WHERE done;
