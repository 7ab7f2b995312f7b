namespace Mosaic.Core.Placement;

/// <summary>Which public requests a coordinator answers: reads (searches, GETs), writes (everything that changes data), or both.</summary>
/// <remarks>
/// Flags, so "does it answer reads" is one bit test. A coordinator registers it with its node lease, and the gateway sends
/// each request only to coordinators whose flag covers the request's <see cref="Requests.ApiRequestKind"/>.
/// </remarks>
[Flags]
public enum Serves
{
    Read = 1,
    Write = 2,
    Both = Read | Write,
}
