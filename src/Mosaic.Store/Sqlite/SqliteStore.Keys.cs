using Microsoft.Data.Sqlite;
using Mosaic.Core.Access;

namespace Mosaic.Store.Sqlite;

/// <summary>API keys, stored hashed (see <see cref="ApiKey"/>).</summary>
public sealed partial class SqliteStore
{
    private const string KeyColumns = "id, hash, role, rate, created_at, revoked_at";

    public Task CreateKeyAsync(ApiKey key, CancellationToken ct) => WriteAsync(
        (connection, transaction) =>
        {
            using var insert = Command(connection, $"INSERT INTO api_keys({KeyColumns}) VALUES ($id, $hash, $role, $rate, $created, NULL)", transaction);
            insert.Parameters.AddWithValue("$id", key.Id);
            insert.Parameters.AddWithValue("$hash", key.Hash);
            insert.Parameters.AddWithValue("$role", key.Role.Name());
            insert.Parameters.AddWithValue("$rate", key.Rate is double rate ? rate : DBNull.Value);
            insert.Parameters.AddWithValue("$created", key.CreatedAt.ToUnixTimeMilliseconds());
            insert.ExecuteNonQuery();
            return false;
        },
        ct);

    public Task<ApiKey?> FindKeyAsync(string hash, CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, $"SELECT {KeyColumns} FROM api_keys WHERE hash = $hash");
        command.Parameters.AddWithValue("$hash", hash);
        using var reader = command.ExecuteReader();
        return Task.FromResult(reader.Read() ? ReadKey(reader) : null);
    }

    public Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken ct)
    {
        using var connection = Open();
        using var command = Command(connection, $"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, id");
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKey>();
        while (reader.Read())
        {
            keys.Add(ReadKey(reader));
        }

        return Task.FromResult<IReadOnlyList<ApiKey>>(keys);
    }

    public async Task<bool> RevokeKeyAsync(string id, DateTimeOffset at, CancellationToken ct)
    {
        bool found = false;
        await WriteAsync(
            (connection, transaction) =>
            {
                using var update = Command(connection, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, $at) WHERE id = $id", transaction);
                update.Parameters.AddWithValue("$id", id);
                update.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
                found = update.ExecuteNonQuery() > 0;
                return false;
            },
            ct).ConfigureAwait(false);
        return found;
    }

    private static ApiKey ReadKey(SqliteDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        ApiRoles.Parse(reader.GetString(2)) ?? ApiRole.Read,
        reader.IsDBNull(3) ? null : reader.GetDouble(3),
        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
        reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)));
}
