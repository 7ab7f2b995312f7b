using Mosaic.Contracts;

namespace Mosaic.Hosting.Cluster;

/// <summary>What /ready and /cluster report: embedded from the local worker, in a cluster from the store.</summary>
internal interface IClusterStatus
{
    Task<(bool Ready, string Reason)> ReadyAsync(CancellationToken ct);

    Task<ClusterResponse> DescribeAsync(string selfAddress, CancellationToken ct);
}
