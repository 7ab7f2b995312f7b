using Mosaic.Core.Access;

namespace Mosaic.Core.Seams;

/// <summary>API keys in the store (hashed; see <see cref="ApiKey"/>), shared by every coordinator of it.</summary>
public interface IApiKeyStore
{
    Task CreateKeyAsync(ApiKey key, CancellationToken ct);

    /// <summary>The key with this hash, revoked or not; null when there is none.</summary>
    Task<ApiKey?> FindKeyAsync(string hash, CancellationToken ct);

    Task<IReadOnlyList<ApiKey>> ListKeysAsync(CancellationToken ct);

    /// <summary>Marks the key revoked; false when no key has this id. Revoking twice keeps the first time.</summary>
    Task<bool> RevokeKeyAsync(string id, DateTimeOffset at, CancellationToken ct);
}
