using Mosaic.Core.Placement;

namespace Mosaic.Gateway;

/// <summary>A coordinator behind the gateway: where it is, which requests it serves, and whether it is a backup.</summary>
/// <remarks>The URL is also the destination's id, so its health state survives a reload of the backend list.</remarks>
public sealed record Backend(string Url, Serves Serves, bool Backup);
