namespace Mosaic.LoadGen.Load;

/// <summary>One load run, as given on the command line (already range-checked).</summary>
internal sealed record LoadSettings(
    Uri Url,
    string Collection,
    FileInfo Queries,
    string Mode,
    LoopKind Loop,
    int Clients,
    double Rate,
    TimeSpan Warmup,
    TimeSpan Duration,
    long MaxRequests,
    int MaxInFlight,
    QueryOrder Order,
    int Seed,
    int TopK,
    string[]? Include,
    string? Filter,
    int? EfSearch,
    TimeSpan Timeout,
    string Label,
    FileInfo? Json,
    int? ServerPid)
{
    /// <summary>Connections in the client pool: one per closed-loop client; the open loop may open one per request in flight.</summary>
    public int Connections => Loop == LoopKind.Closed ? Clients : MaxInFlight;
}
