using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Mosaic.Core.Placement;
using Mosaic.Core.Requests;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Mosaic.Gateway;

/// <summary>
/// The gateway's step in YARP's proxy pipeline, before load balancing: narrows the healthy destinations to those that
/// serve the request's kind (reads or writes), primaries before backups, and retries on another coordinator when an
/// attempt fails at the transport level and the request is safe to repeat.
/// </summary>
/// <remarks>
/// <para>Safe to repeat: every read (searches are read-only POSTs), and a write that carries an <c>Idempotency-Key</c>
/// (the coordinators answer a repeat with the first result). Other writes are never retried: a write that may have
/// reached a coordinator which then died could apply twice.</para>
/// <para>Only failures before any byte of the answer went to the client are retried (connection refused or reset,
/// timeout while waiting for the answer's headers); the body of a retriable request is buffered so it can be sent again.
/// Each coordinator is tried at most once (see <see cref="RetryDestinations"/>), and a timeout ends the retries unless it
/// was the first failure.</para>
/// </remarks>
internal sealed partial class GatewayDispatch(GatewayMetrics metrics, ILogger<GatewayDispatch> logger)
{
    private const string IdempotencyHeader = "Idempotency-Key";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var proxy = context.GetReverseProxyFeature();
        var kind = ApiRequests.Classify(context.Request.Method, context.Request.Path.Value ?? "/");
        var needed = kind == ApiRequestKind.Write ? Serves.Write : Serves.Read;
        var available = proxy.AvailableDestinations;
        var candidates = Candidates(available, needed);
        if (candidates.Count == 0)
        {
            await GatewayErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "unavailable",
                $"no healthy coordinator serves {(needed == Serves.Write ? "writes" : "reads")}");
            return;
        }

        bool retriable = kind != ApiRequestKind.Write || context.Request.Headers.ContainsKey(IdempotencyHeader);
        if (retriable)
        {
            context.Request.EnableBuffering();
        }

        proxy.AvailableDestinations = candidates;
        await next(context);
        var tried = new List<DestinationState>();
        while (true)
        {
            var failed = proxy.ProxiedDestination;
            bool transportFailure = MaxFailsHealthPolicy.IsTransportFailure(context);
            if (transportFailure)
            {
                metrics.TransportFailed(failed);
            }

            if (!retriable || failed is null || !transportFailure || context.Response.HasStarted)
            {
                break;
            }

            var error = context.Features.Get<IForwarderErrorFeature>()?.Error;
            // A timeout has spent the client's time already: it earns one retry as the first failure, not one per coordinator.
            if (error == ForwarderError.RequestTimedOut && tried.Count > 0)
            {
                break;
            }

            tried.Add(failed);
            var retry = RetryDestinations(proxy, available, needed, tried, failed, error);
            if (retry.Count == 0)
            {
                break;
            }

            LogRetry(context.Request.Method, context.Request.Path.Value, failed.DestinationId, error);
            metrics.Retried();
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            context.Request.Body.Position = 0;
            proxy.AvailableDestinations = retry;
            await next(context);
        }

        await ExplainFailureAsync(context, proxy.ProxiedDestination);
    }

    /// <summary>
    /// Where to send a repeat of a request that failed at the transport level on <paramref name="failed"/>: a healthy peer
    /// not tried yet (a healthy backup when no other primary is); failing that, any untried peer serving this kind, since
    /// health can lag a crash (kill -9 of both primaries: the first retry may find the other one dead as well); failing
    /// that, once, the same backend again.
    /// </summary>
    /// <remarks>
    /// The same backend again is for a connection reset or refused with no one else to ask (a keep-alive connection the
    /// backend closed as the request went out, or one process behind a gateway): the handler never reuses a connection
    /// that failed, so the repeat goes out on another one. Not after a timeout: that backend already had its chance.
    /// </remarks>
    private static List<DestinationState> RetryDestinations(
        IReverseProxyFeature proxy, IReadOnlyList<DestinationState> available, Serves needed, List<DestinationState> tried, DestinationState failed, ForwarderError? error)
    {
        var others = Candidates(available.Where(d => !tried.Contains(d)).ToList(), needed);
        if (others.Count == 0)
        {
            others = Candidates(proxy.AllDestinations, needed, includeBackups: true).Where(d => !tried.Contains(d)).ToList();
        }

        if (others.Count == 0 && error != ForwarderError.RequestTimedOut && tried.Count(d => d == failed) == 1)
        {
            others = [failed];
        }

        return others;
    }

    /// <summary>Primaries serving <paramref name="needed"/>, or the backups serving it when no primary does.</summary>
    private static List<DestinationState> Candidates(IReadOnlyList<DestinationState> destinations, Serves needed, bool includeBackups = false)
    {
        var primaries = new List<DestinationState>(destinations.Count);
        List<DestinationState>? backups = null;
        foreach (var d in destinations)
        {
            if ((ServesOf(d) & needed) == 0)
            {
                continue;
            }

            if (IsBackup(d) && !includeBackups)
            {
                (backups ??= []).Add(d);
            }
            else
            {
                primaries.Add(d);
            }
        }

        return primaries.Count > 0 ? primaries : backups ?? primaries;
    }

    private static Serves ServesOf(DestinationState d) =>
        d.Model.Config.Metadata?.TryGetValue(GatewayProxyConfig.ServesKey, out var s) == true && Enum.TryParse<Serves>(s, out var serves) ? serves : Serves.Both;

    private static bool IsBackup(DestinationState d) =>
        d.Model.Config.Metadata?.TryGetValue(GatewayProxyConfig.BackupKey, out var b) == true && b == "true";

    /// <summary>YARP answers a failed attempt with an empty 502/504; give it the API's error body naming the backend.</summary>
    private static Task ExplainFailureAsync(HttpContext context, DestinationState? destination)
    {
        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || context.Response.HasStarted || context.RequestAborted.IsCancellationRequested)
        {
            return Task.CompletedTask;
        }

        int status = context.Response.StatusCode;
        // Past the gateway's body limit (Mosaic:Coordinator:MaxBulkBytes, as on the coordinators): their answer, the same code.
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            return GatewayErrors.WriteAsync(context, status, "payload_too_large", "body: larger than the server accepts");
        }

        // YARP answers 400 when the client's own body failed (cut short, too slow): the client's mistake, not a coordinator's.
        if (status is >= 400 and < 500)
        {
            return GatewayErrors.WriteAsync(context, status, "bad_request", $"body: the request body could not be read from the client ({error.Error}: {error.Exception?.GetBaseException().Message})");
        }

        string code = status == StatusCodes.Status504GatewayTimeout ? "gateway_timeout" : "bad_gateway";
        return GatewayErrors.WriteAsync(context, status, code, $"coordinator {destination?.DestinationId ?? "?"}: {error.Error} ({error.Exception?.GetBaseException().Message})");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} failed on {Backend} ({Error}); retrying")]
    private partial void LogRetry(string method, string? path, string backend, ForwarderError? error);
}
