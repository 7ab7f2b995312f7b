using System.Security.Cryptography;
using System.Text;

namespace Mosaic.Core.Access;

/// <summary>Makes API keys and the hashes they are stored and looked up by.</summary>
/// <remarks>
/// A key is <c>mk_</c> plus 32 random bytes (base64url): with 256 bits of entropy a plain SHA-256 cannot be reversed or
/// guessed, so no slow password hash is needed, and a look-up is one hash plus one indexed read.
/// </remarks>
public static class ApiKeyTokens
{
    public const string Prefix = "mk_";

    public static string NewKey() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string IdOf(string hash) => hash[..16];

    /// <summary>The id a revocation names: a whole key (<c>mk_…</c>) is hashed first; anything else is taken as an id.</summary>
    public static string IdFromKeyOrId(string keyOrId) => keyOrId.StartsWith(Prefix, StringComparison.Ordinal) ? IdOf(Hash(keyOrId)) : keyOrId;
}
