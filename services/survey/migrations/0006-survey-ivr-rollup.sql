-- depends: 0005-survey-link-keys
-- Rollups for the satisfaction figures (V4, bench P13): the keypad's offered / rated
-- calls by day, kept by triggers like the answers' rollup (migration 0002) instead of a
-- GROUP BY over every call ever offered; and both by month, agent and group (below).
-- An offer is inserted once and its `rated` only ever turns true (store.mark_rated).
CREATE TABLE ivr_offer_day (
    day          date NOT NULL,
    week         date NOT NULL,
    month        date NOT NULL,
    agent_id     text NOT NULL DEFAULT '',
    group_name   text NOT NULL DEFAULT '',
    ticket_kind  text NOT NULL DEFAULT '',
    category_id  text NOT NULL DEFAULT '',
    offered      integer NOT NULL DEFAULT 0,
    rated        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, group_name, ticket_kind, category_id)
);

CREATE FUNCTION ivr_offer_day_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d date := china_day(NEW.offered_at);
    more_offered integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE 0 END;
    more_rated integer := CASE WHEN NEW.rated AND (TG_OP = 'INSERT' OR NOT OLD.rated)
                               THEN 1 ELSE 0 END;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.offered_at IS DISTINCT FROM OLD.offered_at
       OR NEW.agent_id IS DISTINCT FROM OLD.agent_id
       OR NEW.group_name IS DISTINCT FROM OLD.group_name
       OR NEW.ticket_kind IS DISTINCT FROM OLD.ticket_kind
       OR NEW.category_id IS DISTINCT FROM OLD.category_id
       OR (OLD.rated AND NOT NEW.rated)) THEN
        RAISE EXCEPTION 'an offer''s dimensions are counted and fixed; rated only turns true'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF more_offered = 0 AND more_rated = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO ivr_offer_day AS s (day, week, month, agent_id, group_name, ticket_kind,
                                    category_id, offered, rated)
    VALUES (d, d - (extract(isodow FROM d)::int - 1), date_trunc('month', d::timestamp)::date,
            coalesce(NEW.agent_id, ''), coalesce(NEW.group_name, ''),
            coalesce(NEW.ticket_kind, ''), coalesce(NEW.category_id, ''),
            more_offered, more_rated)
    ON CONFLICT (day, agent_id, group_name, ticket_kind, category_id) DO UPDATE
       SET offered = s.offered + EXCLUDED.offered, rated = s.rated + EXCLUDED.rated;
    RETURN NULL;
END
$$;

CREATE TRIGGER ivr_offer_counted AFTER INSERT OR UPDATE ON ivr_offer
    FOR EACH ROW EXECUTE FUNCTION ivr_offer_day_count();

-- Offers made before this migration.
INSERT INTO ivr_offer_day (day, week, month, agent_id, group_name, ticket_kind, category_id,
                           offered, rated)
SELECT china_day(offered_at),
       china_day(offered_at) - (extract(isodow FROM china_day(offered_at))::int - 1),
       date_trunc('month', china_day(offered_at)::timestamp)::date,
       coalesce(agent_id, ''), coalesce(group_name, ''), coalesce(ticket_kind, ''),
       coalesce(category_id, ''), count(*), count(*) FILTER (WHERE rated)
  FROM ivr_offer GROUP BY 1, 2, 3, 4, 5, 6, 7;

-- By month, agent, group and source only (V4): "CSAT/NPS by agent × month" over a year
-- of a 100-agent centre reads a few thousand rows here; the daily rollups keep every
-- dimension, and with kinds × categories × sources nearly every answer is its own row
-- there (bench P13: ~900,000 daily rows for 1,000,000 answers).  The figures read these
-- when the question needs no kind or category and whole months (domain/satisfaction.py
-- `monthly`).
CREATE TABLE satisfaction_month (
    month        date NOT NULL,
    agent_id     text NOT NULL DEFAULT '',
    group_name   text NOT NULL DEFAULT '',
    source       text NOT NULL,
    csat_answers integer NOT NULL DEFAULT 0,
    satisfied    integer NOT NULL DEFAULT 0,
    nps_answers  integer NOT NULL DEFAULT 0,
    promoters    integer NOT NULL DEFAULT 0,
    detractors   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (month, agent_id, group_name, source)
);

CREATE FUNCTION satisfaction_month_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.csat_score IS NULL AND NEW.nps_score IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO satisfaction_month AS s (month, agent_id, group_name, source, csat_answers,
                                         satisfied, nps_answers, promoters, detractors)
    VALUES (date_trunc('month', china_day(NEW.answered_at)::timestamp)::date,
            coalesce(NEW.agent_id, ''), coalesce(NEW.group_name, ''), NEW.source,
            (NEW.csat_score IS NOT NULL)::int, coalesce(NEW.csat_score >= 4, false)::int,
            (NEW.nps_score IS NOT NULL)::int, coalesce(NEW.nps_score >= 9, false)::int,
            coalesce(NEW.nps_score <= 6, false)::int)
    ON CONFLICT (month, agent_id, group_name, source) DO UPDATE
       SET csat_answers = s.csat_answers + EXCLUDED.csat_answers,
           satisfied = s.satisfied + EXCLUDED.satisfied,
           nps_answers = s.nps_answers + EXCLUDED.nps_answers,
           promoters = s.promoters + EXCLUDED.promoters,
           detractors = s.detractors + EXCLUDED.detractors;
    RETURN NULL;
END
$$;

CREATE TRIGGER answer_counted_by_month AFTER INSERT ON answer
    FOR EACH ROW EXECUTE FUNCTION satisfaction_month_count();

INSERT INTO satisfaction_month (month, agent_id, group_name, source, csat_answers, satisfied,
                                nps_answers, promoters, detractors)
SELECT month, agent_id, group_name, source, sum(csat_answers), sum(satisfied),
       sum(nps_answers), sum(promoters), sum(detractors)
  FROM satisfaction_day GROUP BY 1, 2, 3, 4;

-- The keypad's offers the same way: by month, agent and group.
CREATE TABLE ivr_offer_month (
    month        date NOT NULL,
    agent_id     text NOT NULL DEFAULT '',
    group_name   text NOT NULL DEFAULT '',
    offered      integer NOT NULL DEFAULT 0,
    rated        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (month, agent_id, group_name)
);

CREATE FUNCTION ivr_offer_month_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    more_offered integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE 0 END;
    more_rated integer := CASE WHEN NEW.rated AND (TG_OP = 'INSERT' OR NOT OLD.rated)
                               THEN 1 ELSE 0 END;
BEGIN
    IF more_offered = 0 AND more_rated = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO ivr_offer_month AS s (month, agent_id, group_name, offered, rated)
    VALUES (date_trunc('month', china_day(NEW.offered_at)::timestamp)::date,
            coalesce(NEW.agent_id, ''), coalesce(NEW.group_name, ''), more_offered, more_rated)
    ON CONFLICT (month, agent_id, group_name) DO UPDATE
       SET offered = s.offered + EXCLUDED.offered, rated = s.rated + EXCLUDED.rated;
    RETURN NULL;
END
$$;

-- After ivr_offer_counted (alphabetical order): that one refuses changes of dimensions.
CREATE TRIGGER ivr_offer_counted_by_month AFTER INSERT OR UPDATE ON ivr_offer
    FOR EACH ROW EXECUTE FUNCTION ivr_offer_month_count();

INSERT INTO ivr_offer_month (month, agent_id, group_name, offered, rated)
SELECT month, agent_id, group_name, sum(offered), sum(rated)
  FROM ivr_offer_day GROUP BY 1, 2, 3;
