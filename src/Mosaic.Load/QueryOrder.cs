namespace Mosaic.Load;

/// <summary>Which query the n-th request sends.</summary>
public enum QueryOrder
{
    RoundRobin,

    /// <summary>A seeded hash of the request number: the same seed gives the same sequence whatever the thread timing.</summary>
    Random,
}
