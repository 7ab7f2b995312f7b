namespace Mosaic.Load;

/// <summary>How load is offered.</summary>
public enum LoopKind
{
    /// <summary>C clients, each sending its next request when the previous answer arrives: measures throughput.</summary>
    Closed,

    /// <summary>Requests on a fixed timeline at R per second, latency from the scheduled time (wrk2-style): measures latency at a load.</summary>
    Open,
}
