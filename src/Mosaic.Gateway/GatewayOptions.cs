namespace Mosaic.Gateway;

/// <summary>Settings of <c>mosaic gateway</c>, bound from configuration section "Mosaic:Gateway".</summary>
/// <remarks>
/// Defaults follow nginx's where the two overlap (max_fails=1 there; 3 here, as most production configs set it) and
/// YARP's otherwise. Backends come from <see cref="Backends"/>, or, when that is empty, from the cluster store's node
/// registry (every live coordinator or serve node, with the requests it serves).
/// </remarks>
public sealed record GatewayOptions
{
    /// <summary>Load-balancing policy names this gateway accepts (YARP's).</summary>
    public static readonly IReadOnlyList<string> Policies = ["RoundRobin", "LeastRequests", "PowerOfTwoChoices", "Random", "FirstAlphabetical"];

    /// <summary>Comma-separated coordinator URLs (<c>--backends</c>); each serves reads and writes. Empty: discover them from the store.</summary>
    public string? Backends { get; init; }

    /// <summary>Comma-separated backup coordinator URLs (<c>--backups</c>): used only while no primary for the request's kind is healthy.</summary>
    public string? Backups { get; init; }

    /// <summary>How a backend is picked among the healthy ones: RoundRobin, LeastRequests, PowerOfTwoChoices (default), Random, FirstAlphabetical.</summary>
    public string Policy { get; init; } = "PowerOfTwoChoices";

    /// <summary>Active health checks: how often every backend's GET /ready is probed.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A probe that has not answered after this long failed.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive failed probes after which a backend is out until a probe succeeds again.</summary>
    public int UnhealthyAfter { get; init; } = 2;

    /// <summary>Passive health checks: this many transport failures within <see cref="FailTimeout"/> take a backend out (nginx max_fails).</summary>
    public int MaxFails { get; init; } = 3;

    /// <summary>The window in which <see cref="MaxFails"/> are counted, and how long the backend is then out (nginx fail_timeout).</summary>
    public TimeSpan FailTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A backend that sends nothing for this long fails the attempt (YARP's activity timeout); reads then retry elsewhere.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the store's node registry is read for coordinators that joined or left.</summary>
    public TimeSpan DiscoveryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The parsed <see cref="Backends"/> and <see cref="Backups"/>.</summary>
    public IReadOnlyList<Backend> StaticBackends() =>
        [.. Split(Backends).Select(u => new Backend(Normalize(u), Core.Placement.Serves.Both, Backup: false)),
         .. Split(Backups).Select(u => new Backend(Normalize(u), Core.Placement.Serves.Both, Backup: true))];

    /// <summary>Every problem with these settings; <paramref name="haveStore"/> says whether a cluster store can supply backends.</summary>
    public IEnumerable<string> Validate(bool haveStore)
    {
        if (Split(Backends).Count == 0 && !haveStore)
        {
            yield return "the gateway needs coordinators: give --backends URL,URL,... (Mosaic:Gateway:Backends) or --store CONN to find them in the cluster store";
        }

        foreach (var url in Split(Backends).Concat(Split(Backups)).Select(Normalize))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                yield return $"Mosaic:Gateway:Backends/Backups: '{url}' is not an http:// or https:// URL";
            }
        }

        if (!Policies.Contains(Policy, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"Mosaic:Gateway:Policy must be one of {string.Join(", ", Policies)}, got '{Policy}'";
        }

        if (HealthInterval <= TimeSpan.Zero || HealthTimeout <= TimeSpan.Zero || RequestTimeout <= TimeSpan.Zero || DiscoveryInterval <= TimeSpan.Zero)
        {
            yield return "Mosaic:Gateway:HealthInterval, HealthTimeout, RequestTimeout and DiscoveryInterval must be positive";
        }

        if (UnhealthyAfter < 1 || MaxFails < 1)
        {
            yield return "Mosaic:Gateway:UnhealthyAfter and MaxFails must be at least 1";
        }

        if (FailTimeout <= TimeSpan.Zero)
        {
            yield return "Mosaic:Gateway:FailTimeout must be positive";
        }
    }

    /// <summary>The policy name in YARP's spelling.</summary>
    public string PolicyName => Policies.First(p => string.Equals(p, Policy, StringComparison.OrdinalIgnoreCase));

    private static List<string> Split(string? list) =>
        [.. (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static string Normalize(string url) => (url.Contains("://", StringComparison.Ordinal) ? url : "http://" + url).TrimEnd('/');
}
