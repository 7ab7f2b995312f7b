namespace Mosaic.Core.Access;

/// <summary>A stored API key: never the key itself, only its SHA-256 hash, its role and its rate limit.</summary>
/// <param name="Id">The first 16 hex digits of <paramref name="Hash"/>: names the key in lists and revocations.</param>
/// <param name="Hash">SHA-256 of the key, lower-case hex (<see cref="ApiKeyTokens.Hash"/>).</param>
/// <param name="Rate">Requests per second this key may make (a token bucket); null is unlimited.</param>
/// <param name="RevokedAt">When set, the key no longer works.</param>
public sealed record ApiKey(string Id, string Hash, ApiRole Role, double? Rate, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null)
{
    public bool Revoked => RevokedAt is not null;
}
