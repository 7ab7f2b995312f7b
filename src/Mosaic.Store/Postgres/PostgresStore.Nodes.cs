using Npgsql;
using Mosaic.Core.Placement;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    public Task RenewAsync(string nodeId, NodeRole role, string address, TimeSpan lease, CancellationToken ct, Serves serves = Serves.Both, string? shardAddress = null, NodeDisk? disk = null) => RunAsync(
        async connection =>
        {
            // The store's clock, not ours: nodes with skewed clocks still agree on who is live. A node that joins, comes
            // back after its lease ran out, moves, or whose disk goes below its floor or back is news for routing and
            // placement, so only then does it notify.
            await using var command = Command($"""
                WITH before AS (
                    SELECT 1 FROM nodes WHERE node_id = @id AND lease_expires_at > now() AND role = @role AND address = @address AND serves = @serves AND shard_address IS NOT DISTINCT FROM @shards::text
                        AND (disk_free_bytes < disk_floor_bytes) IS NOT DISTINCT FROM (@free::bigint < @floor::bigint)),
                renewed AS (
                    INSERT INTO nodes(node_id, role, address, lease_expires_at, serves, shard_address, disk_free_bytes, disk_total_bytes, disk_floor_bytes)
                    VALUES (@id, @role, @address, now() + @lease, @serves, @shards::text, @free::bigint, @total::bigint, @floor::bigint)
                    ON CONFLICT (node_id) DO UPDATE SET role = excluded.role, address = excluded.address, lease_expires_at = excluded.lease_expires_at, serves = excluded.serves, shard_address = excluded.shard_address,
                        disk_free_bytes = excluded.disk_free_bytes, disk_total_bytes = excluded.disk_total_bytes, disk_floor_bytes = excluded.disk_floor_bytes
                    RETURNING 1)
                SELECT pg_notify('{Channel}', 'nodes') FROM renewed WHERE NOT EXISTS (SELECT 1 FROM before)
                """, connection, null, ("id", nodeId), ("role", role.Name()), ("address", address), ("lease", lease), ("serves", ServesText(serves)), ("shards", (object?)shardAddress ?? DBNull.Value),
                ("free", (object?)disk?.FreeBytes ?? DBNull.Value), ("total", (object?)disk?.TotalBytes ?? DBNull.Value), ("floor", (object?)disk?.FloorBytes ?? DBNull.Value));
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        },
        retry: true,
        ct);

    public Task<IReadOnlyList<NodeInfo>> ListNodesAsync(CancellationToken ct) => RunAsync<IReadOnlyList<NodeInfo>>(
        async connection =>
        {
            await using var command = Command(
                "SELECT node_id, role, address, lease_expires_at, lease_expires_at > now(), drained, shard_address, serves, disk_free_bytes, disk_total_bytes, disk_floor_bytes FROM nodes ORDER BY node_id COLLATE \"C\"",
                connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var nodes = new List<NodeInfo>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                if (NodeRoles.Parse(reader.GetString(1)) is { } role)
                {
                    nodes.Add(new NodeInfo(reader.GetString(0), role, reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetBoolean(4), reader.GetBoolean(5), reader.IsDBNull(6) ? null : reader.GetString(6), ParseServes(reader.GetString(7)),
                        StoredRows.Disk(reader, 8)));
                }
            }

            return nodes;
        },
        retry: true,
        ct);

    public Task LeaveAsync(string nodeId, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var command = Command($"""
                WITH gone AS (DELETE FROM nodes WHERE node_id = @id RETURNING 1)
                SELECT pg_notify('{Channel}', 'nodes') FROM gone
                """, connection, null, ("id", nodeId));
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        },
        retry: true,
        ct);

    public Task<bool> SetDrainedAsync(string nodeId, bool drained, CancellationToken ct) => RunAsync(
        async connection =>
        {
            // Draining changes what placement does, so it bumps the routing version and wakes everyone, in one transaction.
            await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (var update = Command("UPDATE nodes SET drained = @d WHERE node_id = @id", connection, transaction, ("id", nodeId), ("d", drained)))
            {
                if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    return false;
                }
            }

            await using (var bump = new NpgsqlBatch(connection, transaction))
            {
                bump.BatchCommands.Add(BatchCommand("UPDATE placement_version SET version = version + 1 WHERE id = 1"));
                bump.BatchCommands.Add(BatchCommand(NotifySql("nodes")));
                await bump.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            await transaction.CommitAsync(ct).ConfigureAwait(false);
            _signal.Notify();
            return true;
        },
        retry: true,
        ct);

    /// <remarks>Safe to repeat: a holder that took the lease but lost the answer finds it its own on the retry.</remarks>
    public Task<bool> TryHoldLeaseAsync(string name, string holder, TimeSpan lease, CancellationToken ct) => RunAsync(
        async connection =>
        {
            // One statement: take the lease when free, expired or already ours. A concurrent taker waits on the row and
            // then re-checks the WHERE against the winner's row, so at most one holder comes out; a loser gets no row.
            await using var command = Command("""
                INSERT INTO leases AS l (name, holder, expires_at) VALUES (@name, @holder, now() + @lease)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE l.holder = excluded.holder OR l.expires_at <= now()
                RETURNING l.holder
                """, connection, null, ("name", name), ("holder", holder), ("lease", lease));
            return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is string held && held == holder;
        },
        retry: true,
        ct);

    private static string ServesText(Serves serves) => serves switch
    {
        Serves.Read => "read",
        Serves.Write => "write",
        _ => "both",
    };

    private static Serves ParseServes(string text) => text switch
    {
        "read" => Serves.Read,
        "write" => Serves.Write,
        _ => Serves.Both,
    };
}
