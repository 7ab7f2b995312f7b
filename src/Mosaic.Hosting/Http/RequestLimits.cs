using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Mosaic.Hosting.Http;

/// <summary>Enforces <see cref="RequestLimitsOptions"/> with the API's error body, in front of everything else.</summary>
/// <remarks>
/// Kestrel refuses a request past its own line or header limits before any middleware runs, with a bare 414 or 431 and
/// no way to give it a body (aspnet/KestrelHttpServer#2947). So Kestrel's limits are set to <see cref="KestrelFactor"/>
/// times ours and ours are checked here, where the answer can say which limit was passed and its value. Kestrel's limits
/// stay as the ceiling that bounds what a connection may make the server buffer; only a request past that ceiling (or
/// malformed HTTP, which Kestrel cannot parse at all) still gets Kestrel's bare answer.
/// </remarks>
internal static class RequestLimits
{
    /// <summary>How far above Mosaic's limits Kestrel's hard limits sit.</summary>
    public const int KestrelFactor = 4;

    /// <summary>Bytes of a line end (CRLF), counted as Kestrel counts them.</summary>
    private const int LineEnd = 2;

    /// <summary>Binds and validates section "Mosaic:Http".</summary>
    public static RequestLimitsOptions BindOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection("Mosaic:Http").Get<RequestLimitsOptions>() ?? new RequestLimitsOptions();
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? options : throw new OptionsValidationException("Mosaic:Http", typeof(RequestLimitsOptions), errors);
    }

    /// <summary>Sets Kestrel's line and header limits to <see cref="KestrelFactor"/> times Mosaic's.</summary>
    public static void ApplyTo(this RequestLimitsOptions limits, KestrelServerLimits kestrel)
    {
        kestrel.MaxRequestLineSize = limits.MaxRequestLineBytes * KestrelFactor;
        kestrel.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersBytes * KestrelFactor;
        kestrel.MaxRequestHeaderCount = limits.MaxRequestHeaderCount * KestrelFactor;
    }

    public static void UseRequestLimits(this WebApplication app, RequestLimitsOptions limits) => app.Use((context, next) =>
    {
        var request = context.Request;
        // The API listens HTTP/1.1 only; HTTP/2 is the nodes' own gRPC, whose shard searches are kept free of per-request
        // allocations (enumerating the headers boxes an enumerator). Kestrel's ceiling still bounds it.
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol))
        {
            return next(context);
        }

        string target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? "/";
        long line = request.Method.Length + 1 + target.Length + 1 + request.Protocol.Length + LineEnd;
        if (line > limits.MaxRequestLineBytes)
        {
            return ApiErrors.Error(
                StatusCodes.Status414UriTooLong,
                "request_line_too_long",
                $"request line: {Count(line)} bytes, the limit is {Count(limits.MaxRequestLineBytes)} (Mosaic:Http:MaxRequestLineBytes); send long input in a body").ExecuteAsync(context);
        }

        long bytes = LineEnd;
        int count = 0;
        foreach (var (name, values) in request.Headers)
        {
            foreach (string? value in values)
            {
                bytes += name.Length + 2 + (value?.Length ?? 0) + LineEnd;
                count++;
            }
        }

        if (count > limits.MaxRequestHeaderCount)
        {
            return ApiErrors.Error(
                StatusCodes.Status431RequestHeaderFieldsTooLarge,
                "headers_too_large",
                $"headers: {count} header lines, the limit is {limits.MaxRequestHeaderCount} (Mosaic:Http:MaxRequestHeaderCount)").ExecuteAsync(context);
        }

        return bytes <= limits.MaxRequestHeadersBytes
            ? next(context)
            : ApiErrors.Error(
                StatusCodes.Status431RequestHeaderFieldsTooLarge,
                "headers_too_large",
                $"headers: {Count(bytes)} bytes in all, the limit is {Count(limits.MaxRequestHeadersBytes)} (Mosaic:Http:MaxRequestHeadersBytes)").ExecuteAsync(context);
    });

    private static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
}
