namespace Mosaic.Core.Placement;

/// <summary>A registered process: its id, role, where it is reached, and when its lease runs out (store clock).</summary>
/// <remarks>
/// <see cref="Live"/> is computed by the store against its own clock, so nodes with skewed clocks agree.
/// <see cref="Serves"/> says which requests a coordinator answers (workers register <see cref="Serves.Both"/>).
/// </remarks>
public sealed record NodeInfo(string NodeId, string Role, string Address, DateTimeOffset LeaseExpiresAt, bool Live, Serves Serves = Serves.Both);
