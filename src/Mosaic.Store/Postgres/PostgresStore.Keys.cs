using Mosaic.Core.Access;
using Npgsql;

namespace Mosaic.Store.Postgres;

/// <summary>API keys, stored hashed (see <see cref="ApiKey"/>), shared by every coordinator of the store.</summary>
public sealed partial class PostgresStore
{
    private const string KeyColumns = "id, hash, role, rate, created_at, revoked_at";

    public Task CreateKeyAsync(ApiKey key, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var insert = Command(
                $"INSERT INTO api_keys({KeyColumns}) VALUES (@id, @hash, @role, @rate, @created, NULL)",
                connection, null, ("id", key.Id), ("hash", key.Hash), ("role", key.Role.Name()), ("rate", key.Rate), ("created", key.CreatedAt));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        },
        retry: false,
        ct);

    public Task<ApiKey?> FindKeyAsync(string hash, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var command = Command($"SELECT {KeyColumns} FROM api_keys WHERE hash = @hash", connection, null, ("hash", hash));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadKey(reader) : null;
        },
        retry: true,
        ct);

    public Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken ct) => RunAsync<IReadOnlyList<ApiKey>>(
        async connection =>
        {
            await using var command = Command($"SELECT {KeyColumns} FROM api_keys ORDER BY created_at, id", connection);
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var keys = new List<ApiKey>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                keys.Add(ReadKey(reader));
            }

            return keys;
        },
        retry: true,
        ct);

    public Task<bool> RevokeKeyAsync(string id, DateTimeOffset at, CancellationToken ct) => RunAsync(
        async connection =>
        {
            await using var update = Command("UPDATE api_keys SET revoked_at = coalesce(revoked_at, @at) WHERE id = @id", connection, null, ("id", id), ("at", at));
            return await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        },
        retry: true,
        ct);

    private static ApiKey ReadKey(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        ApiRoles.Parse(reader.GetString(2)) ?? ApiRole.Read,
        reader.IsDBNull(3) ? null : reader.GetDouble(3),
        reader.GetFieldValue<DateTimeOffset>(4),
        reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5));
}
