namespace Mosaic.Load;

/// <summary>How a load is offered and for how long: what the runners need, whichever tool builds it.</summary>
/// <param name="Clients">Closed loop: concurrent clients.</param>
/// <param name="Rate">Open loop: requests per second.</param>
/// <param name="MaxRequests">Hard cap on requests sent, warm-up included.</param>
/// <param name="MaxInFlight">Open loop: most outstanding requests (and connections).</param>
/// <param name="ServerPid">A local server process whose CPU use is also reported, from /proc.</param>
public sealed record LoadShape(
    LoopKind Loop,
    int Clients,
    double Rate,
    TimeSpan Warmup,
    TimeSpan Duration,
    long MaxRequests = 10_000_000,
    int MaxInFlight = 256,
    int? ServerPid = null)
{
    /// <summary>Connections in the client pool: one per closed-loop client; the open loop may open one per request in flight.</summary>
    public int Connections => Loop == LoopKind.Closed ? Clients : MaxInFlight;

    /// <summary>"closed" or "open", as results name the loop.</summary>
    public string LoopName => Loop == LoopKind.Closed ? "closed" : "open";
}
