using System.Text.Json.Serialization;

namespace Mosaic.Contracts;

/// <summary>Body of POST /keys: the new key's role (read | write | admin) and optional rate limit in requests per second.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateKeyRequest(string? Role = null, double? Rate = null);

/// <summary>A key as listed; <paramref name="Key"/> (the secret) appears only in the answer that created it.</summary>
public sealed record KeyResponse(string Id, string Role, double? Rate, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null, string? Key = null);

/// <summary>Answer of GET /keys.</summary>
public sealed record KeyListResponse(List<KeyResponse> Keys);
