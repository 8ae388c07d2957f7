-- Run by infra/start.sh against FerretDB's database when it creates the cluster and at every
-- start after (each statement may run again).
-- Why (README, "Storage"): FerretDB 1.x on PostgreSQL turns a top-level equality into
-- `_jsonb->$1 @> $2`, with the field name as a parameter. The btree indexes FerretDB creates,
-- ((_jsonb -> 'field')), cannot serve the containment operator `@>`; a GIN index on the same
-- expression can, once the planner sees the field name, which a generic cached plan hides.
-- A production MongoDB needs none of this.

-- 1. Custom plans for every statement, so the field name is known when the plan is made.
ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;

-- 2. The planner prices `->` and `@>` on jsonb as if they cost nothing to evaluate. For documents
--    of a few kilobytes, which PostgreSQL stores out of line (TOAST), the table looks small and a
--    sequential scan cheap, while each row it filters must be fetched and decompressed: an
--    equality on `_id` among 10,000 request versions of 3 KB ran as a Seq Scan in 31 ms, growing
--    with the table (7.7 ms at 2,000), and as an index scan in 2-3 ms at every size once these
--    functions cost what they do. (Statistics gathered later, by ANALYZE, pick the index too; this
--    holds before they exist, after bulk loads.)
ALTER FUNCTION jsonb_object_field(jsonb, text) COST 100;
ALTER FUNCTION jsonb_contains(jsonb, jsonb) COST 100;

-- 3. A GIN twin for every index FerretDB creates whose keys are all top-level fields, and its
--    removal with the index. The twin is named after the index's identity, so a drop finds it.
CREATE OR REPLACE FUNCTION concierge_gin_twin_name(identity text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'gin_' || md5(identity) $$;

CREATE OR REPLACE FUNCTION concierge_add_gin_twins() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
  definition text;
  table_name text;
  keys text[];
  columns integer;
BEGIN
  FOR command IN
    SELECT objid, object_identity, schema_name FROM pg_event_trigger_ddl_commands()
    WHERE command_tag = 'CREATE INDEX' AND object_type = 'index'
  LOOP
    definition := pg_get_indexdef(command.objid);
    CONTINUE WHEN definition !~ ' USING btree ';
    SELECT indnatts, indrelid::regclass::text INTO columns, table_name
      FROM pg_index WHERE indexrelid = command.objid;
    -- Every key must be a plain top-level field, (_jsonb -> 'name'::text), in either order.
    SELECT array_agg(m[1]) INTO keys
      FROM regexp_matches(definition, '\(_jsonb -> ''((?:[^'']|'''')+)''::text\)', 'g') AS m;
    CONTINUE WHEN keys IS NULL OR array_length(keys, 1) <> columns;
    EXECUTE format(
      'CREATE INDEX IF NOT EXISTS %I ON %s USING gin (%s)',
      concierge_gin_twin_name(command.object_identity),
      table_name,
      (SELECT string_agg(format('(_jsonb -> %L)', replace(k, '''''', '''')), ', ') FROM unnest(keys) AS k)
    );
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION concierge_drop_gin_twins() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  dropped record;
BEGIN
  FOR dropped IN
    SELECT schema_name, object_identity FROM pg_event_trigger_dropped_objects()
    WHERE object_type = 'index' AND object_name NOT LIKE 'gin\_%'
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I.%I', dropped.schema_name,
      concierge_gin_twin_name(dropped.object_identity));
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS concierge_gin_twins_on_create;
CREATE EVENT TRIGGER concierge_gin_twins_on_create ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION concierge_add_gin_twins();

DROP EVENT TRIGGER IF EXISTS concierge_gin_twins_on_drop;
CREATE EVENT TRIGGER concierge_gin_twins_on_drop ON sql_drop
  WHEN TAG IN ('DROP INDEX') EXECUTE FUNCTION concierge_drop_gin_twins();
