using Mosaic.Core.Placement;

namespace Mosaic.Store.Postgres;

public sealed partial class PostgresStore
{
    public Task<PlacementSnapshot> GetPlacementAsync(CancellationToken ct) => RunAsync(
        async connection =>
        {
            // One statement, one snapshot: the version always matches the rows read with it.
            await using var command = Command("""
                SELECT v.version, p.collection_id, p.shard, p.node_id, p.state, p.lag, p.bytes, p.qps, p.docs
                FROM placement_version v LEFT JOIN placement p ON true
                WHERE v.id = 1
                ORDER BY p.collection_id, p.shard, p.node_id COLLATE "C"
                """, connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            long version = 0;
            var rows = new List<ReplicaAssignment>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                version = reader.GetInt64(0);
                if (!reader.IsDBNull(1))
                {
                    rows.Add(new ReplicaAssignment(
                        reader.GetInt64(1), reader.GetInt32(2), reader.GetString(3), Enum.Parse<ReplicaState>(reader.GetString(4), ignoreCase: true), reader.GetInt64(5), reader.GetInt64(6), reader.GetDouble(7), reader.GetInt64(8)));
                }
            }

            return new PlacementSnapshot(version, rows);
        },
        retry: true,
        ct);

    public Task<long> GetPlacementVersionAsync(CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var command = Command("SELECT version FROM placement_version WHERE id = 1", connection);
            return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        },
        retry: true,
        ct);

    public Task AssignAsync(long collectionId, int shard, string nodeId, CancellationToken ct) => ChangePlacementAsync(
        $"INSERT INTO placement(collection_id, shard, node_id, state, lag) VALUES (@c, @s, @n, '{StateName(ReplicaState.Building)}', 0) ON CONFLICT DO NOTHING RETURNING 1",
        [("c", collectionId), ("s", shard), ("n", nodeId)],
        ct);

    public Task UnassignAsync(long collectionId, int shard, string nodeId, CancellationToken ct) => ChangePlacementAsync(
        "DELETE FROM placement WHERE collection_id = @c AND shard = @s AND node_id = @n RETURNING 1",
        [("c", collectionId), ("s", shard), ("n", nodeId)],
        ct);

    public Task MarkDrainingAsync(long collectionId, int shard, string nodeId, CancellationToken ct) => ChangePlacementAsync(
        $"UPDATE placement SET state = '{StateName(ReplicaState.Draining)}' WHERE collection_id = @c AND shard = @s AND node_id = @n AND state <> '{StateName(ReplicaState.Draining)}' RETURNING 1",
        [("c", collectionId), ("s", shard), ("n", nodeId)],
        ct);

    public Task ReportAsync(long collectionId, int shard, string nodeId, ReplicaReport report, CancellationToken ct)
    {
        string name = StateName(report.State);
        (string, object?)[] parameters = [("c", collectionId), ("s", shard), ("n", nodeId), ("st", name), ("l", report.Lag), ("b", report.Bytes), ("q", report.Qps), ("d", report.Docs)];
        return RunAsync(
            async connection =>
            {
                // Draining is placement's word, not the worker's: a report never turns it back.
                // Lag alone changes on every report and routes nothing: it updates in place, without a bump. Both
                // statements re-check the state on the row they update, so the version moves iff the state really
                // changed; the lag of a report racing another's state change may be dropped, and the next report has it.
                await using (var lagOnly = Command(
                    "UPDATE placement SET lag = @l, bytes = @b, qps = @q, docs = @d WHERE collection_id = @c AND shard = @s AND node_id = @n AND (state = @st OR state = 'draining')", connection, null, parameters))
                {
                    if (await lagOnly.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0)
                    {
                        return;
                    }
                }

                await ChangePlacementOnceAsync(
                    connection,
                    "UPDATE placement SET state = @st, lag = @l, bytes = @b, qps = @q, docs = @d WHERE collection_id = @c AND shard = @s AND node_id = @n AND state <> @st AND state <> 'draining' RETURNING 1",
                    parameters,
                    ct).ConfigureAwait(false);
            },
            retry: true,
            ct);
    }

    private Task ChangePlacementAsync(string change, (string Name, object? Value)[] parameters, CancellationToken ct) =>
        RunAsync(connection => ChangePlacementOnceAsync(connection, change, parameters, ct), retry: true, ct);

    /// <summary>
    /// Runs one placement change and, only when it touched a row, bumps the version and notifies, all in one statement
    /// (so one transaction: a reader never sees the change without the bump). Repeating it changes nothing more.
    /// </summary>
    private async Task ChangePlacementOnceAsync(Npgsql.NpgsqlConnection connection, string change, (string Name, object? Value)[] parameters, CancellationToken ct)
    {
        await using var command = Command($"""
            WITH changed AS ({change}),
            bumped AS (UPDATE placement_version SET version = version + 1 WHERE id = 1 AND EXISTS (SELECT 1 FROM changed) RETURNING version)
            SELECT version, pg_notify('{Channel}', 'placement') FROM bumped
            """, connection, null, parameters);
        if (await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is long)
        {
            _signal.Notify();
        }
    }

    private static string StateName(ReplicaState state) => state switch
    {
        ReplicaState.Building => "building",
        ReplicaState.Serving => "serving",
        ReplicaState.Draining => "draining",
        ReplicaState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "unknown replica state"),
    };
}
