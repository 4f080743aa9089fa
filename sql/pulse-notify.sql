-- Pulseboard's Postgres bridge: a trigger that announces every row change with NOTIFY.
-- Install the function once per database, then one trigger per table (docs/sources.md):
--
--   CREATE TRIGGER orders_pulse AFTER INSERT OR UPDATE OR DELETE ON orders
--     FOR EACH ROW EXECUTE FUNCTION pulse_notify('pulse_orders', 'id');
--
-- Arguments: the NOTIFY channel (the source's "notify", default pulse_<table>) and the key
-- column (the source's "key", default id). Each notification is JSON naming the key only:
--   {"op":"INSERT"|"UPDATE"|"DELETE","key":<key>}
-- The bridge treats it as a hint and reads the row by key from the table (any role that may
-- connect can send a NOTIFY, so a row in the payload could be forged); a key no longer in the
-- table deletes the record. An UPDATE that changes the key announces the old key first.

CREATE OR REPLACE FUNCTION pulse_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  channel text := TG_ARGV[0];
  key_column text := coalesce(TG_ARGV[1], 'id');
  old_key jsonb;
  new_key jsonb;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    old_key := to_jsonb(OLD) -> key_column;
  END IF;
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify(channel, json_build_object('op', 'DELETE', 'key', old_key)::text);
    RETURN NULL;
  END IF;
  new_key := to_jsonb(NEW) -> key_column;
  IF TG_OP = 'UPDATE' AND old_key IS DISTINCT FROM new_key THEN
    PERFORM pg_notify(channel, json_build_object('op', 'DELETE', 'key', old_key)::text);
  END IF;
  PERFORM pg_notify(channel, json_build_object('op', TG_OP, 'key', new_key)::text);
  RETURN NULL;
END;
$$;
