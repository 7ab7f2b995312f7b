namespace Mosaic.Load;

/// <summary>How one search ended.</summary>
public enum OutcomeKind
{
    /// <summary>200 with at least one hit and every shard answering.</summary>
    Ok,

    /// <summary>200 with no hits (a valid answer, counted so an over-selective query set shows up).</summary>
    Empty,

    /// <summary>200 but <c>partial: true</c>: some shard did not answer. Counted as an error.</summary>
    Partial,

    /// <summary>Non-2xx status, timeout or transport error.</summary>
    Failed,
}
