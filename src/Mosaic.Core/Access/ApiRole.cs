namespace Mosaic.Core.Access;

/// <summary>What an API key may do; each role includes the ones below it.</summary>
public enum ApiRole
{
    /// <summary>Searches and GETs.</summary>
    Read = 1,

    /// <summary>Read, plus document writes (PUT/DELETE of a document, bulk).</summary>
    Write = 2,

    /// <summary>Write, plus collections, cluster administration, backups and keys.</summary>
    Admin = 3,
}

/// <summary>Names of roles as the API, the CLI and the store write them.</summary>
public static class ApiRoles
{
    public static string Name(this ApiRole role) => role.ToString().ToLowerInvariant();

    /// <summary>Parses read | write | admin (case-insensitive); anything else is null.</summary>
    public static ApiRole? Parse(string? name) => name?.ToLowerInvariant() switch
    {
        "read" => ApiRole.Read,
        "write" => ApiRole.Write,
        "admin" => ApiRole.Admin,
        _ => null,
    };
}
