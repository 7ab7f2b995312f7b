namespace Mosaic.Core.Errors;

/// <summary>The kind of caller mistake; the HTTP layer maps each kind to one status code.</summary>
public enum ErrorKind
{
    InvalidArgument,
    NotFound,
    Conflict,
    TooLarge,
    Unavailable,

    /// <summary>No API key, or one the store does not know (401).</summary>
    Unauthorized,

    /// <summary>An API key whose role is too low for the request (403).</summary>
    Forbidden,

    /// <summary>The key's rate limit is spent (429, with Retry-After).</summary>
    RateLimited,
}

/// <summary>A failure caused by the request, carrying a stable machine code and a human detail naming the field.</summary>
public sealed class MosaicException(ErrorKind kind, string code, string detail) : Exception(detail)
{
    public ErrorKind Kind { get; } = kind;

    public string Code { get; } = code;

    public string Detail { get; } = detail;

    /// <summary>When set, the client may try again after this long (the HTTP layer sends it as Retry-After).</summary>
    public TimeSpan? RetryAfter { get; init; }

    public static MosaicException Invalid(string detail) => new(ErrorKind.InvalidArgument, "invalid_argument", detail);

    public static MosaicException NotFound(string what) => new(ErrorKind.NotFound, "not_found", what);
}
