using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Mosaic.Gateway;

/// <summary>
/// Passive health as nginx does it: a backend whose requests fail <see cref="GatewayOptions.MaxFails"/> times at the
/// transport level within <see cref="GatewayOptions.FailTimeout"/> is out for <see cref="GatewayOptions.FailTimeout"/>.
/// </summary>
/// <remarks>
/// YARP's own passive policy counts a failure <em>rate</em> over a window, which a backend with few requests never
/// reaches; a count is what operators know from nginx. After the period YARP resets the passive state to unknown, and
/// the active probe decides from there. Windows live in a table keyed by the destination, so a backend that leaves the
/// configuration takes its window with it.
/// </remarks>
internal sealed partial class MaxFailsHealthPolicy(IDestinationHealthUpdater updater, IOptions<GatewayOptions> options, TimeProvider time, ILogger<MaxFailsHealthPolicy> logger)
    : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "MaxFails";

    private readonly ConditionalWeakTable<DestinationState, Queue<long>> _failures = new();
    private readonly GatewayOptions _options = options.Value;

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        if (!IsTransportFailure(context))
        {
            return;
        }

        long now = time.GetTimestamp();
        var window = _failures.GetOrCreateValue(destination);
        bool trip;
        lock (window)
        {
            while (window.Count > 0 && time.GetElapsedTime(window.Peek(), now) > _options.FailTimeout)
            {
                window.Dequeue();
            }

            window.Enqueue(now);
            trip = window.Count >= _options.MaxFails;
            if (trip)
            {
                window.Clear();
            }
        }

        if (trip)
        {
            LogOut(destination.DestinationId, _options.MaxFails, _options.FailTimeout);
            updater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, _options.FailTimeout);
        }
    }

    /// <summary>The backend, not the client, failed: it refused, reset, timed out, or broke off while taking the request.</summary>
    internal static bool IsTransportFailure(HttpContext context) =>
        !context.RequestAborted.IsCancellationRequested
        && context.Features.Get<IForwarderErrorFeature>()?.Error is ForwarderError.Request or ForwarderError.RequestTimedOut
            or ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyDestination;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} failed {MaxFails} times within {FailTimeout}: out for as long")]
    private partial void LogOut(string backend, int maxFails, TimeSpan failTimeout);
}
