-- depends: 0007-survey-rule-trigger
-- The report's campaign figures (issue 13): an invitation is told to the report as its
-- snapshot (campaign_invitation_updated), which the report keeps by `revision` — bumped
-- by every change of the row, whoever makes it, so an older snapshot delivered late
-- changes nothing there.  A constant default: no table rewrite.
ALTER TABLE campaign_invitation ADD COLUMN revision bigint NOT NULL DEFAULT 0;

CREATE FUNCTION campaign_invitation_revised() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END
$$;

CREATE TRIGGER campaign_invitation_revision BEFORE UPDATE ON campaign_invitation
    FOR EACH ROW EXECUTE FUNCTION campaign_invitation_revised();
