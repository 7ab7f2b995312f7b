namespace Mosaic.Store.Postgres;

/// <summary>The cluster store's tables, created on first use, idempotently.</summary>
/// <remarks>
/// The advisory lock serializes first starts: concurrent <c>CREATE TABLE IF NOT EXISTS</c> of the same table can fail
/// with a unique violation in the catalog, so several coordinators starting at once against an empty database take turns.
/// Tables mirror the embedded store (collections, docs, slot_seqs, changes, idempotency) plus the cluster's own
/// (nodes, leases, placement, placement_version) and the stored shard maps (shard_maps, shards).
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>Key of the transaction-scoped advisory lock taken while creating the schema ("MOSAIC01" in ASCII, 0x4D4F534149433031).</summary>
    public const string SchemaLockKey = "5570762803947712561";

    public const string Sql = $"""
        SELECT pg_advisory_xact_lock({SchemaLockKey});
        CREATE TABLE IF NOT EXISTS collections (
            id bigserial PRIMARY KEY,
            name text NOT NULL UNIQUE,
            spec jsonb NOT NULL);
        CREATE TABLE IF NOT EXISTS docs (
            collection_id bigint NOT NULL,
            doc_id text NOT NULL,
            slot int NOT NULL,
            seq bigint NOT NULL,
            text text,
            vector bytea,
            fields text,
            PRIMARY KEY (collection_id, doc_id));
        CREATE TABLE IF NOT EXISTS slot_seqs (
            collection_id bigint NOT NULL,
            slot int NOT NULL,
            seq bigint NOT NULL,
            PRIMARY KEY (collection_id, slot));
        CREATE TABLE IF NOT EXISTS changes (
            collection_id bigint NOT NULL,
            slot int NOT NULL,
            seq bigint NOT NULL,
            doc_id text NOT NULL,
            op smallint NOT NULL,
            PRIMARY KEY (collection_id, slot, seq));
        CREATE TABLE IF NOT EXISTS idempotency (
            collection_id bigint NOT NULL,
            key text NOT NULL,
            answer text NOT NULL,
            PRIMARY KEY (collection_id, key));
        CREATE TABLE IF NOT EXISTS nodes (
            node_id text PRIMARY KEY,
            role text NOT NULL,
            address text NOT NULL,
            lease_expires_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS leases (
            name text PRIMARY KEY,
            holder text NOT NULL,
            expires_at timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS placement (
            collection_id bigint NOT NULL,
            shard int NOT NULL,
            node_id text NOT NULL,
            state text NOT NULL,
            lag bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (collection_id, shard, node_id));
        CREATE TABLE IF NOT EXISTS placement_version (
            id int PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL);
        INSERT INTO placement_version(id, version) VALUES (1, 0) ON CONFLICT DO NOTHING;
        -- Which requests a coordinator answers (read | write | both); added after the table, so existing stores get it too.
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS serves text NOT NULL DEFAULT 'both';
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS drained boolean NOT NULL DEFAULT false;
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS shard_address text;
        -- A shard-holding node's data disk as of its last renewal (free, total, its floor); null until one reports.
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS disk_free_bytes bigint;
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS disk_total_bytes bigint;
        ALTER TABLE nodes ADD COLUMN IF NOT EXISTS disk_floor_bytes bigint;
        ALTER TABLE placement ADD COLUMN IF NOT EXISTS bytes bigint NOT NULL DEFAULT 0;
        ALTER TABLE placement ADD COLUMN IF NOT EXISTS qps double precision NOT NULL DEFAULT 0;
        ALTER TABLE placement ADD COLUMN IF NOT EXISTS docs bigint NOT NULL DEFAULT 0;
        CREATE TABLE IF NOT EXISTS slot_floors (
            collection_id bigint NOT NULL,
            slot int NOT NULL,
            floor bigint NOT NULL,
            PRIMARY KEY (collection_id, slot));
        CREATE TABLE IF NOT EXISTS shard_maps (
            collection_id bigint PRIMARY KEY,
            version bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS shards (
            collection_id bigint NOT NULL,
            shard_id int NOT NULL,
            lo int NOT NULL,
            hi int NOT NULL,
            state text NOT NULL,
            parent int,
            PRIMARY KEY (collection_id, shard_id));
        -- Idempotency keys expire (Mosaic:Coordinator:IdempotencyRetention); keys stored before that get a window from now.
        ALTER TABLE idempotency ADD COLUMN IF NOT EXISTS created_at timestamptz NOT NULL DEFAULT now();
        CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at);
        CREATE TABLE IF NOT EXISTS api_keys (
            id text PRIMARY KEY,
            hash text NOT NULL UNIQUE,
            role text NOT NULL,
            rate double precision,
            created_at timestamptz NOT NULL,
            revoked_at timestamptz);
        """;
}
