-- What happened to each job, newest last: state changes with their reasons,
-- commits refused, worker failures. Read by GET /api/v1/jobs/{id}/events.
CREATE TABLE job_events (
    seq     INTEGER PRIMARY KEY,
    job_id  TEXT NOT NULL,
    at      TEXT NOT NULL,   -- RFC 3339 UTC with milliseconds
    kind    TEXT NOT NULL,   -- state, commit_refused, ...
    message TEXT NOT NULL
);
CREATE INDEX job_events_by_job ON job_events(job_id, seq);
