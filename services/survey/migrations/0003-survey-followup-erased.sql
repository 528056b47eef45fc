-- depends: 0002-survey-questionnaires
-- A destroyed customer's unfinished follow-up tasks end with outcome 'erased' (C6).
ALTER TABLE followup_task DROP CONSTRAINT IF EXISTS followup_task_outcome_check;
ALTER TABLE followup_task ADD CONSTRAINT followup_task_outcome_check
    CHECK (outcome IN ('reached', 'unreachable', 'erased'));
