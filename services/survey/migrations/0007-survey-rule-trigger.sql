-- depends: 0006-survey-ivr-rollup
-- A follow-up rule is triggered by a ticket resolved (or closed), or by a field job
-- recorded done (the ticket service's dispatch_handled): "call every installation the
-- day after the technician's visit".
ALTER TABLE followup_rule ADD COLUMN trigger text NOT NULL DEFAULT 'resolved'
    CHECK (trigger IN ('resolved', 'dispatch_handled'));
