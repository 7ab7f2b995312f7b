using System.Data.Common;

namespace Mosaic.Store.Backup;

/// <summary>What one collection holds in a store: the figures a backup manifest records and a restore or migration checks.</summary>
/// <param name="LogHead">The sum of the collection's per-slot sequence heads: every change it was ever written, so two
/// stores with the same documents but a different history differ here.</param>
public sealed record CollectionCensus(long Id, string Name, int Shards, long Docs, long LogHead);

/// <summary>Counts collections, documents and change-log heads with the same SQL on SQLite and PostgreSQL (same tables).</summary>
/// <remarks>Read inside one transaction (or from a copy nobody writes) the figures are of one moment, which is what lets a
/// manifest say exactly what its backup file holds.</remarks>
public static class StoreCensus
{
    private const string Sql = """
        SELECT c.id, c.name,
               (SELECT count(*) FROM shards s WHERE s.collection_id = c.id AND s.state <> 'retired'),
               (SELECT count(*) FROM docs d WHERE d.collection_id = c.id),
               (SELECT coalesce(sum(q.seq), 0) FROM slot_seqs q WHERE q.collection_id = c.id)
        FROM collections c ORDER BY c.name
        """;

    /// <summary>Every collection's figures, by name.</summary>
    public static async Task<IReadOnlyList<CollectionCensus>> ReadAsync(DbConnection connection, DbTransaction? transaction, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        command.Transaction = transaction;
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<CollectionCensus>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add(new CollectionCensus(reader.GetInt64(0), reader.GetString(1), Convert.ToInt32(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture), reader.GetInt64(3), Convert.ToInt64(reader.GetValue(4), System.Globalization.CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    /// <summary>Rows in <paramref name="table"/> (a name from this assembly's own table lists, never user input).</summary>
    public static async Task<long> CountAsync(DbConnection connection, DbTransaction? transaction, string table, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        command.Transaction = transaction;
        return Convert.ToInt64(await command.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }
}
