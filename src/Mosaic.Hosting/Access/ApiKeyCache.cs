using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Mosaic.Core.Access;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;

namespace Mosaic.Hosting.Access;

/// <summary>Finds the stored key of a presented one, remembering answers for <see cref="AuthOptions.KeyCacheTtl"/>.</summary>
/// <remarks>
/// Unknown keys are remembered too (so a client hammering with a bad key costs no store reads), and a key created
/// later is still found at once by any coordinator that never saw it before. A revocation made through this coordinator
/// evicts the key here at once; others notice within the TTL. When the store cannot be read, the last answer for the key
/// stands if there is one; otherwise the request gets 503 (never 500, never a pass).
/// </remarks>
public sealed class ApiKeyCache(IApiKeyStore store, IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The live (not revoked) key presented as <paramref name="key"/>, or null.</summary>
    public async ValueTask<ApiKey?> FindAsync(string key, CancellationToken ct)
    {
        string hash = ApiKeyTokens.Hash(key);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(hash, out var entry) && entry.Expires > now)
        {
            return entry.Key;
        }

        ApiKey? found;
        try
        {
            found = await store.FindKeyAsync(hash, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return entry is not null
                ? entry.Key
                : throw new MosaicException(ErrorKind.Unavailable, "unavailable", "the API key cannot be checked: the store is unreachable; try again") { RetryAfter = TimeSpan.FromSeconds(1) };
        }

        var live = found is { Revoked: false } ? found : null;
        if (_entries.Count >= options.Value.MaxCachedKeys)
        {
            _entries.Clear();
        }

        _entries[hash] = new Entry(live, now + options.Value.KeyCacheTtl);
        return live;
    }

    /// <summary>Forgets what this coordinator knows of the key with <paramref name="id"/> (it was just revoked here).</summary>
    public void Evict(string id)
    {
        foreach (var (hash, _) in _entries)
        {
            if (ApiKeyTokens.IdOf(hash) == id)
            {
                _entries.TryRemove(hash, out _);
            }
        }
    }

    private sealed record Entry(ApiKey? Key, DateTimeOffset Expires);
}
