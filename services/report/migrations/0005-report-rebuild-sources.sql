-- depends: 0004-report-daily-report
-- A rebuild pages more owners than the ticket service (handlers/rebuild.py SOURCES): the
-- records it read, per source (its phase), beside the tickets/calls/contacts columns.
-- The phase is any of SOURCES' (the contract's PHASES says which): not 0003's list.
ALTER TABLE report_rebuild DROP CONSTRAINT IF EXISTS report_rebuild_phase_check;
ALTER TABLE report_rebuild ADD COLUMN read jsonb NOT NULL DEFAULT '{}';
UPDATE report_rebuild SET read = jsonb_build_object(
    'tickets', tickets, 'calls', calls, 'contacts', contacts);
