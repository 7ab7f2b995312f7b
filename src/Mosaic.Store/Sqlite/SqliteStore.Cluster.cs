using Microsoft.Data.Sqlite;
using Mosaic.Core.Placement;

namespace Mosaic.Store.Sqlite;

/// <summary>Node leases, named leases and placement of the embedded one-node cluster (same semantics as PostgreSQL's).</summary>
/// <remarks>Lease times are this process's clock in unix milliseconds: every reader of this file is this process.</remarks>
public sealed partial class SqliteStore
{
    public async Task RenewAsync(string nodeId, NodeRole role, string address, TimeSpan lease, CancellationToken ct, Serves serves = Serves.Both, string? shardAddress = null, NodeDisk? disk = null)
    {
        await WriteAsync(
            (connection, transaction) =>
            {
                using var command = Command(connection, """
                    INSERT INTO nodes(node_id, role, address, lease_expires_at, shard_address, disk_free_bytes, disk_total_bytes, disk_floor_bytes) VALUES ($id, $role, $address, $until, $shards, $free, $total, $floor)
                    ON CONFLICT(node_id) DO UPDATE SET role = excluded.role, address = excluded.address, lease_expires_at = excluded.lease_expires_at, shard_address = excluded.shard_address,
                        disk_free_bytes = excluded.disk_free_bytes, disk_total_bytes = excluded.disk_total_bytes, disk_floor_bytes = excluded.disk_floor_bytes
                    """, transaction);
                command.Parameters.AddWithValue("$id", nodeId);
                command.Parameters.AddWithValue("$role", role.Name());
                command.Parameters.AddWithValue("$address", address);
                command.Parameters.AddWithValue("$shards", (object?)shardAddress ?? DBNull.Value);
                command.Parameters.AddWithValue("$free", (object?)disk?.FreeBytes ?? DBNull.Value);
                command.Parameters.AddWithValue("$total", (object?)disk?.TotalBytes ?? DBNull.Value);
                command.Parameters.AddWithValue("$floor", (object?)disk?.FloorBytes ?? DBNull.Value);
                command.Parameters.AddWithValue("$until", NowMs() + (long)lease.TotalMilliseconds);
                command.ExecuteNonQuery();
                return false;
            },
            ct).ConfigureAwait(false);
    }

    public Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, "SELECT node_id, role, address, lease_expires_at, drained, shard_address, disk_free_bytes, disk_total_bytes, disk_floor_bytes FROM nodes ORDER BY node_id");
        using var reader = command.ExecuteReader();
        long now = NowMs();
        var nodes = new List<NodeInfo>();
        while (reader.Read())
        {
            if (NodeRoles.Parse(reader.GetString(1)) is not { } role)
            {
                continue;
            }

            long until = reader.GetInt64(3);
            nodes.Add(new NodeInfo(reader.GetString(0), role, reader.GetString(2), DateTimeOffset.FromUnixTimeMilliseconds(until), until > now, reader.GetInt64(4) != 0, reader.IsDBNull(5) ? null : reader.GetString(5), Disk: StoredRows.Disk(reader, 6)));
        }

        return Task.FromResult<IReadOnlyList<NodeInfo>>(nodes);
    }

    public Task LeaveAsync(string nodeId, CancellationToken ct) => WriteAsync(
        (connection, transaction) =>
        {
            using var command = Command(connection, "DELETE FROM nodes WHERE node_id = $id", transaction);
            command.Parameters.AddWithValue("$id", nodeId);
            return command.ExecuteNonQuery() > 0;
        },
        ct);

    public Task<bool> SetDrainedAsync(string nodeId, bool drained, CancellationToken ct) => WriteAsync(
        (connection, transaction) =>
        {
            using var command = Command(connection, "UPDATE nodes SET drained = $d WHERE node_id = $id", transaction);
            command.Parameters.AddWithValue("$id", nodeId);
            command.Parameters.AddWithValue("$d", drained ? 1 : 0);
            bool found = command.ExecuteNonQuery() > 0;
            if (found)
            {
                BumpPlacementVersion(connection, transaction);
            }

            return found;
        },
        ct);

    public Task<bool> TryHoldLeaseAsync(string name, string holder, TimeSpan lease, CancellationToken ct) => WriteAsync(
        (connection, transaction) =>
        {
            long now = NowMs();
            using var command = Command(connection, """
                INSERT INTO leases AS l (name, holder, expires_at) VALUES ($name, $holder, $until)
                ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE l.holder = excluded.holder OR l.expires_at <= $now
                RETURNING holder
                """, transaction);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$holder", holder);
            command.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
            command.Parameters.AddWithValue("$now", now);
            return command.ExecuteScalar() is string held && held == holder;
        },
        ct,
        notify: false);

    public Task<PlacementSnapshot> GetPlacementAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        long version = ReadPlacementVersion(connection, transaction);
        using var command = Command(connection, "SELECT collection_id, shard, node_id, state, lag, bytes, qps, docs FROM placement ORDER BY collection_id, shard, node_id", transaction);
        using var reader = command.ExecuteReader();
        var rows = new List<ReplicaAssignment>();
        while (reader.Read())
        {
            rows.Add(new ReplicaAssignment(reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2), Enum.Parse<ReplicaState>(reader.GetString(3), ignoreCase: true), reader.GetInt64(4), reader.GetInt64(5), reader.GetDouble(6), reader.GetInt64(7)));
        }

        return Task.FromResult(new PlacementSnapshot(version, rows));
    }

    /// <remarks>Routers read it each time the store signals a change, i.e. after every commit: a pooled prepared read.</remarks>
    public Task<long> GetPlacementVersionAsync(CancellationToken ct) => Task.FromResult(WithReader(static reader => reader.RoutingVersion()));

    public Task AssignAsync(long collectionId, int shard, string nodeId, CancellationToken ct) => ChangePlacementAsync(
        "INSERT OR IGNORE INTO placement(collection_id, shard, node_id, state, lag) VALUES ($c, $s, $n, 'building', 0)", collectionId, shard, nodeId, null, ct);

    public Task UnassignAsync(long collectionId, int shard, string nodeId, CancellationToken ct) => ChangePlacementAsync(
        "DELETE FROM placement WHERE collection_id = $c AND shard = $s AND node_id = $n", collectionId, shard, nodeId, null, ct);

    public Task MarkDrainingAsync(long collectionId, int shard, string nodeId, CancellationToken ct) => ChangePlacementAsync(
        "UPDATE placement SET state = 'draining' WHERE collection_id = $c AND shard = $s AND node_id = $n AND state <> 'draining'", collectionId, shard, nodeId, null, ct);

    public async Task ReportAsync(long collectionId, int shard, string nodeId, ReplicaReport report, CancellationToken ct)
    {
        // Lag, size and load alone route nothing: they update in place without a bump; a state change bumps the version.
        // Draining is placement's word, not the worker's: a report never turns it back.
        await ChangePlacementAsync(
            "UPDATE placement SET lag = $l, bytes = $b, qps = $q, docs = $d WHERE collection_id = $c AND shard = $s AND node_id = $n AND (state = $st OR state = 'draining')", collectionId, shard, nodeId, report, ct, bump: false).ConfigureAwait(false);
        await ChangePlacementAsync(
            "UPDATE placement SET state = $st, lag = $l, bytes = $b, qps = $q, docs = $d WHERE collection_id = $c AND shard = $s AND node_id = $n AND state <> $st AND state <> 'draining'", collectionId, shard, nodeId, report, ct).ConfigureAwait(false);
    }

    private Task ChangePlacementAsync(string sql, long collectionId, int shard, string nodeId, ReplicaReport? report, CancellationToken ct, bool bump = true) => WriteAsync(
        (connection, transaction) =>
        {
            using var command = Command(connection, sql, transaction);
            command.Parameters.AddWithValue("$c", collectionId);
            command.Parameters.AddWithValue("$s", shard);
            command.Parameters.AddWithValue("$n", nodeId);
            command.Parameters.AddWithValue("$st", report?.State.ToString().ToLowerInvariant() ?? "");
            command.Parameters.AddWithValue("$l", report?.Lag ?? 0);
            command.Parameters.AddWithValue("$b", report?.Bytes ?? 0);
            command.Parameters.AddWithValue("$q", report?.Qps ?? 0);
            command.Parameters.AddWithValue("$d", report?.Docs ?? 0);
            bool changed = command.ExecuteNonQuery() > 0;
            if (changed && bump)
            {
                BumpPlacementVersion(connection, transaction);
            }

            return changed && bump;
        },
        ct);

    /// <summary>Runs one small write transaction through the write gate; notifies when it says it changed routing.</summary>
    private async Task<bool> WriteAsync(Func<SqliteConnection, SqliteTransaction, bool> body, CancellationToken ct, bool notify = true)
    {
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        bool changed;
        try
        {
            using var connection = Open();
            using var transaction = connection.BeginTransaction();
            changed = body(connection, transaction);
            transaction.Commit();
        }
        finally
        {
            _writeGate.Release();
        }

        if (changed && notify)
        {
            _signal.Notify();
        }

        return changed;
    }

    private static long ReadPlacementVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = Command(connection, "SELECT version FROM placement_version WHERE id = 1", transaction);
        return (long)command.ExecuteScalar()!;
    }

    private static void BumpPlacementVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = Command(connection, "UPDATE placement_version SET version = version + 1 WHERE id = 1", transaction);
        command.ExecuteNonQuery();
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();
}
