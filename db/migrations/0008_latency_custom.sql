-- Raises an error with a chosen SQLSTATE from inside a plain SQL statement.
-- The session check that leads a request's first database batch
-- (workers/middleware/auth.ts) calls it when the session is not valid (CN401)
-- or the Idempotency-Key was used before (CN409), so the statements batched
-- after it in the same transaction never commit.
create or replace function continuum_refuse(code text, message text) returns boolean
language plpgsql volatile as $$
begin
  raise exception using errcode = code, message = message;
end
$$;
