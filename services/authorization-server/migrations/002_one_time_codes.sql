-- One-time sign-in codes, one per sign-in (a new code replaces the last), apart from the sign-in
-- so that all of a user's outstanding codes can be invalidated at once. `usable_until` ends the
-- code; the row lives as long as its sign-in, so the page can tell an expired code from one that
-- was invalidated. `code_hash` is empty for addresses that may not sign in: nothing matches it.
-- `requested_by` is the client address that asked for it, whose count of codes mailed a used
-- code gives back.
CREATE TABLE one_time_codes (
  sign_in_id text PRIMARY KEY REFERENCES sign_ins (id) ON DELETE CASCADE,
  email text NOT NULL,
  code_hash text NOT NULL,
  requested_by text NOT NULL,
  failures integer NOT NULL,
  usable_until bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX one_time_codes_email ON one_time_codes (email);
CREATE INDEX one_time_codes_expires_at ON one_time_codes (expires_at);

-- code_failures now counts a user's wrong codes towards invalidating all their outstanding codes;
-- it no longer locks anyone out. Codes kept in sign-ins' state by the previous version are gone
-- with it: those sign-ins send a new code.
UPDATE sign_ins SET state = state - 'otp';
