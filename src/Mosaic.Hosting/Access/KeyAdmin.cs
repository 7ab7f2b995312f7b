using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Mosaic.Contracts;
using Mosaic.Core.Access;
using Mosaic.Core.Changes;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Store.Postgres;
using Mosaic.Store.Sqlite;

namespace Mosaic.Hosting.Access;

/// <summary>Creates, lists and revokes API keys: behind <c>/keys</c> on a running node, and offline for the first admin key.</summary>
public sealed class KeyAdmin(IApiKeyStore store, TimeProvider time, ApiKeyCache? cache = null)
{
    /// <summary>Highest rate a key may be given (requests per second); more is no limit at all.</summary>
    public const double MaxRate = 1_000_000;

    /// <summary>Makes a key; the secret is returned once and only its hash is stored.</summary>
    public async Task<KeyResponse> CreateAsync(string? role, double? rate, CancellationToken ct)
    {
        var parsed = ApiRoles.Parse(role) ?? throw MosaicException.Invalid($"role: must be read, write or admin, got '{role}'");
        CheckRate(rate);

        string secret = ApiKeyTokens.NewKey();
        string hash = ApiKeyTokens.Hash(secret);
        var key = new ApiKey(ApiKeyTokens.IdOf(hash), hash, parsed, rate, time.GetUtcNow());
        await store.CreateKeyAsync(key, ct).ConfigureAwait(false);
        return ToResponse(key, secret);
    }

    /// <summary>Refuses a rate a key cannot have; the CLI checks it before sending too (JSON carries no NaN or Infinity).</summary>
    public static void CheckRate(double? rate)
    {
        if (rate is double r && (!double.IsFinite(r) || r <= 0 || r > MaxRate))
        {
            throw MosaicException.Invalid(string.Create(CultureInfo.InvariantCulture, $"rate: requests per second must be within (0, {MaxRate}], got {r}"));
        }
    }

    public async Task<List<KeyResponse>> ListAsync(CancellationToken ct) =>
        (await store.ListKeysAsync(ct).ConfigureAwait(false)).Select(k => ToResponse(k)).ToList();

    /// <summary>Revokes a key named by its id or by the key itself.</summary>
    public async Task<KeyResponse> RevokeAsync(string keyOrId, CancellationToken ct)
    {
        string id = ApiKeyTokens.IdFromKeyOrId(keyOrId);
        if (!await store.RevokeKeyAsync(id, time.GetUtcNow(), ct).ConfigureAwait(false))
        {
            throw MosaicException.NotFound($"key '{id}' does not exist");
        }

        cache?.Evict(id);
        var keys = await store.ListKeysAsync(ct).ConfigureAwait(false);
        return ToResponse(keys.First(k => k.Id == id));
    }

    /// <summary>Runs <paramref name="body"/> against a store opened here: the embedded one in <paramref name="dataDir"/>
    /// (created if new) or PostgreSQL at <paramref name="connectionString"/>.</summary>
    public static async Task<T> OfflineAsync<T>(string? dataDir, string? connectionString, Func<KeyAdmin, Task<T>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (connectionString is not null)
        {
            await using var postgres = new PostgresStore(new PostgresStoreOptions(connectionString), new ChangeSignal(), NullLogger<PostgresStore>.Instance);
            return await body(new KeyAdmin(postgres, TimeProvider.System)).ConfigureAwait(false);
        }

        using var sqlite = new SqliteStore(new SqliteStoreOptions(Path.Combine(dataDir ?? "mosaic-data", "store.db")), new ChangeSignal());
        return await body(new KeyAdmin(sqlite, TimeProvider.System)).ConfigureAwait(false);
    }

    private static KeyResponse ToResponse(ApiKey key, string? secret = null) =>
        new(key.Id, key.Role.Name(), key.Rate, key.CreatedAt, key.RevokedAt, secret);
}
