using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Caching;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Errors;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Endpoints;

/// <summary>POST /collections/{name}/search and search:batch.</summary>
internal static class SearchEndpoints
{
    private const long MaxSearchBytes = 8L << 20;
    private const int MaxBatch = 256;

    public static void MapSearch(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/collections/{name}").WithTags("search");
        // The read path is a singleton taken from the root provider once, not a parameter the handler resolves: resolving
        // it per request made every search create (and dispose) a request services scope (perf, allocation ticks).
        var services = app.ServiceProvider;
        CachedReadPath? reads = null;
        long? maxAnswerBytes = null;
        TimeProvider? time = null;
        group.MapPost("/search", (string name, HttpRequest request) => SearchAsync(
                name,
                request,
                reads ??= services.GetRequiredService<CachedReadPath>(),
                maxAnswerBytes ??= services.GetRequiredService<IOptions<CoordinatorOptions>>().Value.MaxAnswerBytes,
                time ??= services.GetRequiredService<TimeProvider>()))
            .Body<SearchRequest, RouteHandlerBuilder>("application/json").Produces<SearchResponse>().Produces<ErrorResponse>(400).Produces<ErrorResponse>(404).Produces<PartialFailureResponse>(503);
        group.MapPost("/search:batch", BatchAsync)
            .Body<BatchSearchRequest, RouteHandlerBuilder>("application/json").Produces<BatchSearchResponse>().Produces<ErrorResponse>(400).Produces<PartialFailureResponse>(503);
    }

    private static async Task<IResult> SearchAsync(string name, HttpRequest request, CachedReadPath reads, long maxAnswerBytes, TimeProvider time)
    {
        // The deadline (timeout_ms) counts from here, before the body is read.
        long arrived = time.GetTimestamp();
        var body = await RequestBody.ReadJsonAsync(request, MosaicJson.Api.SearchRequest, MaxSearchBytes, "body", SearchRequestReader.TryRead);
        var query = ContractMapping.ToQuery(body, arrived);
        var answer = await reads.SearchAsync(name, query, reads.Enabled ? CacheKey(body) : null, request.HttpContext.RequestAborted);
        if (Unacceptable(answer, query) is { } failure)
        {
            return failure;
        }

        AnswerSize.Check(AnswerSize.Of(answer), maxAnswerBytes, "the answer");
        return SearchAnswerJson.Result(answer);
    }

    private static async Task<IResult> BatchAsync(string name, HttpRequest request, CachedReadPath reads, IOptions<CoordinatorOptions> options, TimeProvider time)
    {
        long arrived = time.GetTimestamp();
        var body = await RequestBody.ReadJsonAsync(request, MosaicJson.Api.BatchSearchRequest, MaxSearchBytes, "body");
        if (body.Searches is not { Count: > 0 and <= MaxBatch } searches)
        {
            throw MosaicException.Invalid($"searches: must be an array of 1..{MaxBatch} searches");
        }

        var queries = searches.Select((s, i) => ContractMapping.ToQuery(s ?? throw MosaicException.Invalid($"searches[{i}]: must be an object"), arrived, $"searches[{i}].")).ToList();
        // Every search at once, each by its own timeout_ms from the request's arrival: one after the other, a batch meeting
        // a hung shard took one deadline per search (nine searches of 400 ms answered after 3.6 s).
        var calls = new Task<SearchAnswer>[queries.Count];
        for (int i = 0; i < calls.Length; i++)
        {
            calls[i] = reads.SearchAsync(name, queries[i], reads.Enabled ? CacheKey(searches[i]!) : null, request.HttpContext.RequestAborted);
        }

        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception)
        {
            // Each failure is looked at in order below: the first search that failed names the error.
        }

        var answers = new List<SearchAnswer>(queries.Count);
        long bytes = 0;
        for (int i = 0; i < calls.Length; i++)
        {
            SearchAnswer answer;
            try
            {
                answer = await calls[i];
            }
            catch (MosaicException ex) when (ex.Kind == ErrorKind.InvalidArgument)
            {
                throw new MosaicException(ex.Kind, ex.Code, $"searches[{i}].{ex.Detail}");
            }

            if (Unacceptable(answer, queries[i]) is { } failure)
            {
                return failure;
            }

            // Counted in order, so a batch past the limit names the search that passes it.
            bytes += AnswerSize.Of(answer);
            AnswerSize.Check(bytes, options.Value.MaxAnswerBytes, $"the answers up to searches[{i}]");
            answers.Add(answer);
        }

        return SearchAnswerJson.Batch(answers);
    }

    /// <summary>
    /// The request in normal form for the result cache: the body as the contract re-serializes it (so spacing and field
    /// order do not matter, and every field the contract has, now or later, is part of it) without the fields that do not
    /// shape a complete answer (the consistency token, allow_partial), then the query vector's raw bytes.
    /// </summary>
    /// <remarks>
    /// The vector goes in as bytes, not JSON: formatting 128 floats as shortest round-trip text was most of the key's cost
    /// (perf of an embedded vector search: 3 % of its CPU in the key). A zero byte after the JSON marks that a vector
    /// follows, so no vector and an empty one differ. Null (no caching) for a body the read path rejects anyway, e.g. a
    /// vector component that overflowed to infinity.
    /// </remarks>
    private static byte[]? CacheKey(SearchRequest body)
    {
        float[]? vector = body.Vector;
        if (vector is not null && !Array.TrueForAll(vector, float.IsFinite))
        {
            return null;
        }

        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(body with { Vector = null, Consistency = null, AllowPartial = null }, MosaicJson.Api.SearchRequest);
        if (vector is null)
        {
            return json;
        }

        var key = new byte[json.Length + 1 + (vector.Length * sizeof(float))];
        json.CopyTo(key, 0);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan()).CopyTo(key.AsSpan(json.Length + 1));
        return key;
    }

    /// <summary>A partial answer is never silent: without allow_partial, or with no coverage at all, it is a 503.</summary>
    private static IResult? Unacceptable(SearchAnswer answer, SearchQuery query)
    {
        bool noCoverage = answer.ShardsTotal > 0 && answer.ShardsOk == 0;
        if (!answer.Partial || (query.AllowPartial && !noCoverage))
        {
            return null;
        }

        string detail = $"{answer.Failures.Count} of {answer.ShardsTotal} shards did not answer" + (noCoverage ? "" : " and allow_partial is false");
        return Results.Json(
            new PartialFailureResponse("unavailable", detail, ContractMapping.ToReport(answer), answer.Coverage, true),
            MosaicJson.Api.PartialFailureResponse,
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
