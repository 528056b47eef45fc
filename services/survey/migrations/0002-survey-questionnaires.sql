-- depends: 0001-survey-followups
-- Questionnaires (V3), answers from three sources and the IVR keypad mapping; personal
-- survey links and the count of bad link tokens per client (guessing).

-- A questionnaire version: draft until published, then immutable (the trigger below is
-- the second wall behind the handler's check).
CREATE TABLE questionnaire (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name         text NOT NULL,
    version      integer NOT NULL CHECK (version > 0),
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    title        text NOT NULL,
    description  text NOT NULL DEFAULT '',
    questions    jsonb NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    published_by text,
    published_at timestamptz,
    UNIQUE (name, version)
);

CREATE FUNCTION questionnaire_published_is_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'questionnaire % version % is published and immutable',
            OLD.name, OLD.version USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER questionnaire_immutable BEFORE UPDATE OR DELETE ON questionnaire
    FOR EACH ROW EXECUTE FUNCTION questionnaire_published_is_immutable();

-- One answer (答卷): an agent's, a keypad rating or a link's.  `answers` holds the
-- choices and numbers; `texts` the free text (personal: erased with the customer).
-- csat_score 1–5 (satisfied: 4, 5) and nps_score 0–10 are what the figures count.
CREATE TABLE answer (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    source           text NOT NULL CHECK (source IN ('agent', 'ivr', 'link')),
    questionnaire_id uuid REFERENCES questionnaire (id),
    customer_id      text,
    agent_id         text,
    group_name       text,
    ticket_id        text,
    task_id          text,
    call_id          text,
    link_id          uuid,
    ticket_kind      text,
    category_id      text,
    csat_score       smallint CHECK (csat_score BETWEEN 1 AND 5),
    nps_score        smallint CHECK (nps_score BETWEEN 0 AND 10),
    ivr_key          text,
    answers          jsonb NOT NULL DEFAULT '{}',
    texts            jsonb NOT NULL DEFAULT '{}',
    answered_by      text,
    idempotency_key  text,
    answered_at      timestamptz NOT NULL DEFAULT now(),
    erased_at        timestamptz,
    CHECK (source = 'ivr' OR questionnaire_id IS NOT NULL)
);
CREATE UNIQUE INDEX answer_ivr_call ON answer (call_id) WHERE source = 'ivr';
CREATE UNIQUE INDEX answer_link_once ON answer (link_id) WHERE link_id IS NOT NULL;
CREATE UNIQUE INDEX answer_idempotency ON answer (answered_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX answer_customer ON answer (customer_id);
CREATE INDEX answer_task ON answer (task_id) WHERE task_id IS NOT NULL;

-- The figures' rollup (V4): an answer's CSAT / NPS counts by its day in China and its
-- dimensions ('' for none), kept by a trigger in the answer's own transaction, so CSAT
-- and NPS over a million answers read thousands of rows, not the answers.  Answers are
-- never deleted and their scores never change (erasure clears free text only).
CREATE TABLE satisfaction_day (
    day          date NOT NULL,
    week         date NOT NULL,  -- its ISO week's Monday, and its month's first day:
    month        date NOT NULL,  -- grouped by as they are (no per-row date arithmetic)
    agent_id     text NOT NULL DEFAULT '',
    group_name   text NOT NULL DEFAULT '',
    ticket_kind  text NOT NULL DEFAULT '',
    category_id  text NOT NULL DEFAULT '',
    source       text NOT NULL,
    csat_answers integer NOT NULL DEFAULT 0,
    satisfied    integer NOT NULL DEFAULT 0,
    nps_answers  integer NOT NULL DEFAULT 0,
    promoters    integer NOT NULL DEFAULT 0,
    detractors   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, agent_id, group_name, ticket_kind, category_id, source)
);
CREATE INDEX satisfaction_day_agent ON satisfaction_day (agent_id, day);

CREATE FUNCTION china_day(moment timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE AS $$ SELECT (moment AT TIME ZONE 'Asia/Shanghai')::date $$;

CREATE FUNCTION satisfaction_day_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.csat_score IS NULL AND NEW.nps_score IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO satisfaction_day AS s (day, week, month, agent_id, group_name, ticket_kind,
                                       category_id, source, csat_answers, satisfied,
                                       nps_answers, promoters, detractors)
    VALUES (china_day(NEW.answered_at),
            china_day(NEW.answered_at) - (extract(isodow FROM china_day(NEW.answered_at))::int - 1),
            date_trunc('month', china_day(NEW.answered_at)::timestamp)::date,
            coalesce(NEW.agent_id, ''), coalesce(NEW.group_name, ''),
            coalesce(NEW.ticket_kind, ''), coalesce(NEW.category_id, ''), NEW.source,
            (NEW.csat_score IS NOT NULL)::int, coalesce(NEW.csat_score >= 4, false)::int,
            (NEW.nps_score IS NOT NULL)::int, coalesce(NEW.nps_score >= 9, false)::int,
            coalesce(NEW.nps_score <= 6, false)::int)
    ON CONFLICT (day, agent_id, group_name, ticket_kind, category_id, source) DO UPDATE
       SET csat_answers = s.csat_answers + EXCLUDED.csat_answers,
           satisfied = s.satisfied + EXCLUDED.satisfied,
           nps_answers = s.nps_answers + EXCLUDED.nps_answers,
           promoters = s.promoters + EXCLUDED.promoters,
           detractors = s.detractors + EXCLUDED.detractors;
    RETURN NULL;
END
$$;

CREATE TRIGGER answer_counted AFTER INSERT ON answer
    FOR EACH ROW EXECUTE FUNCTION satisfaction_day_count();

-- Scores and dimensions of an answer never change once counted.
CREATE FUNCTION answer_counts_are_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.csat_score IS DISTINCT FROM OLD.csat_score
       OR NEW.nps_score IS DISTINCT FROM OLD.nps_score
       OR NEW.answered_at IS DISTINCT FROM OLD.answered_at
       OR NEW.agent_id IS DISTINCT FROM OLD.agent_id
       OR NEW.group_name IS DISTINCT FROM OLD.group_name
       OR NEW.ticket_kind IS DISTINCT FROM OLD.ticket_kind
       OR NEW.category_id IS DISTINCT FROM OLD.category_id
       OR NEW.source IS DISTINCT FROM OLD.source THEN
        RAISE EXCEPTION 'an answer''s scores and dimensions are counted and fixed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER answer_fixed BEFORE UPDATE OR DELETE ON answer
    FOR EACH ROW EXECUTE FUNCTION answer_counts_are_fixed();

-- The keypad's meaning: key -> level (default 1 非常满意 2 满意 3 一般 4 不满意).
CREATE TABLE ivr_mapping (
    key        text PRIMARY KEY CHECK (key ~ '^[0-9]$'),
    level      text NOT NULL CHECK (level IN ('very_satisfied', 'satisfied', 'neutral',
                                               'dissatisfied', 'very_dissatisfied')),
    updated_by text NOT NULL DEFAULT 'migration',
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ivr_mapping (key, level) VALUES
    ('1', 'very_satisfied'), ('2', 'satisfied'), ('3', 'neutral'), ('4', 'dissatisfied');

-- Calls offered a keypad rating (once per call); `rated` when a key came.
CREATE TABLE ivr_offer (
    call_id     text PRIMARY KEY,
    agent_id    text,
    group_name  text,
    ticket_id   text,
    ticket_kind text,
    category_id text,
    offered_at  timestamptz NOT NULL DEFAULT now(),
    rated       boolean NOT NULL DEFAULT false
);
CREATE INDEX ivr_offer_time ON ivr_offer (offered_at);

-- A personal link: one customer, one published version, once, until expires_at.
CREATE TABLE survey_link (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    questionnaire_id uuid NOT NULL REFERENCES questionnaire (id),
    customer_id      text NOT NULL,
    greeting_name    text NOT NULL DEFAULT '',
    agent_id         text,
    group_name       text,
    ticket_id        text,
    task_id          text,
    ticket_kind      text,
    category_id      text,
    issued_by        text NOT NULL,
    issued_at        timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz
);
CREATE INDEX survey_link_customer ON survey_link (customer_id);

-- Bad link tokens per client key and fixed window (guessing is limited).
CREATE TABLE link_guess (
    client_key   text NOT NULL,
    window_start timestamptz NOT NULL,
    bad          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (client_key, window_start)
);
