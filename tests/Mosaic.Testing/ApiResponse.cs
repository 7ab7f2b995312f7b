using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Mosaic.Testing;

/// <summary>One HTTP answer: status, raw body and (when the body is JSON) the parsed document.</summary>
public sealed class ApiResponse
{
    private readonly Lazy<JsonNode?> _json;

    public ApiResponse(string method, string path, HttpStatusCode status, string body, string? contentType)
    {
        Method = method;
        Path = path;
        Status = status;
        Body = body;
        ContentType = contentType;
        _json = new Lazy<JsonNode?>(() => TryParse(body));
    }

    public string Method { get; }
    public string Path { get; }
    public HttpStatusCode Status { get; }
    public int StatusCode => (int)Status;
    public string Body { get; }
    public string? ContentType { get; }

    /// <summary>The answer's <c>Retry-After</c> as a delay (seconds or a date), when it had one.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The parsed body, or null when it is empty or not JSON.</summary>
    public JsonNode? Json => _json.Value;

    /// <summary>The body as a JSON object; fails the test when it is not one.</summary>
    public JsonObject Object => Json as JsonObject ?? throw new Xunit.Sdk.XunitException($"{Describe()}: body is not a JSON object");

    public string Describe() => $"{Method} {Path} -> {StatusCode} {Truncate(Body, 600)}";

    /// <summary>Asserts the status code, showing the body on failure.</summary>
    public ApiResponse AssertStatus(HttpStatusCode expected)
    {
        Assert.True(Status == expected, $"expected {(int)expected} {expected}, got {Describe()}");
        return this;
    }

    /// <summary>Asserts a 2xx answer.</summary>
    public ApiResponse AssertSuccess()
    {
        Assert.True(StatusCode is >= 200 and < 300, $"expected success, got {Describe()}");
        return this;
    }

    /// <summary>
    /// Asserts an error answer of the contract's shape <c>{"error": code, "detail": text}</c> with the given status,
    /// and that the detail mentions at least one of <paramref name="detailMentionsAny"/> (case-insensitive).
    /// </summary>
    public ApiResponse AssertError(HttpStatusCode expected, params string[] detailMentionsAny)
    {
        AssertStatus(expected);
        return AssertErrorShape(detailMentionsAny);
    }

    /// <summary>Asserts a 4xx error of the contract's shape (status in 400..499, never 5xx).</summary>
    public ApiResponse AssertClientError(params string[] detailMentionsAny)
    {
        Assert.True(StatusCode is >= 400 and < 500, $"expected a 4xx, got {Describe()}");
        return AssertErrorShape(detailMentionsAny);
    }

    private ApiResponse AssertErrorShape(string[] detailMentionsAny)
    {
        var obj = Json as JsonObject;
        Assert.True(obj is not null, $"error body is not a JSON object: {Describe()}");
        var error = obj!["error"];
        var detail = obj["detail"];
        Assert.True(error is JsonValue ev && ev.TryGetValue<string>(out var e) && !string.IsNullOrWhiteSpace(e), $"error body lacks a string 'error' code: {Describe()}");
        Assert.True(detail is JsonValue dv && dv.TryGetValue<string>(out var d) && !string.IsNullOrWhiteSpace(d), $"error body lacks a string 'detail': {Describe()}");
        if (detailMentionsAny.Length > 0)
        {
            var text = detail!.GetValue<string>();
            Assert.True(
                detailMentionsAny.Any(m => text.Contains(m, StringComparison.OrdinalIgnoreCase)),
                $"detail should mention one of [{string.Join(", ", detailMentionsAny)}]: {Describe()}");
        }

        return this;
    }

    private static JsonNode? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "...";
}
