using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Coordinator;
using Mosaic.Coordinator.Writes;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Endpoints;

/// <summary>Single-document upsert/get/delete and NDJSON bulk writes.</summary>
/// <remarks>A bulk request is all or nothing: every line is parsed and validated before one transaction writes them all.</remarks>
internal static class DocumentEndpoints
{
    private const string IdempotencyHeader = "Idempotency-Key";

    public static void MapDocuments(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/collections/{name}").WithTags("documents");
        group.MapPut("/docs/{id}", UpsertAsync)
            .Body<DocumentBody, RouteHandlerBuilder>("application/json").Produces<WriteResponse>().Produces<ErrorResponse>(400).Produces<ErrorResponse>(404).Produces<ErrorResponse>(413);
        group.MapGet("/docs/{id}", GetAsync).Produces<DocumentResponse>().Produces<ErrorResponse>(404);
        group.MapDelete("/docs/{id}", DeleteAsync).Produces<WriteResponse>().Produces<ErrorResponse>(404);
        group.MapPost("/docs:bulk", BulkAsync)
            .Body<DocumentBody, RouteHandlerBuilder>("application/x-ndjson").Produces<BulkResponse>().Produces<ErrorResponse>(400).Produces<ErrorResponse>(413);
    }

    private static async Task<IResult> UpsertAsync(string name, string id, HttpRequest request, WritePath writes, IOptions<CoordinatorOptions> options)
    {
        id = DocumentIds.FromRoute(request.HttpContext, id, options.Value);
        var collection = await writes.ResolveAsync(name, request.HttpContext.RequestAborted);
        var body = await RequestBody.ReadJsonAsync(request, MosaicJson.Api.DocumentBody, options.Value.MaxDocumentBytes, "document");
        if (body.Id is not null && body.Id != id)
        {
            throw MosaicException.Invalid($"id: the body says '{body.Id}' but the URL says '{id}'");
        }

        var doc = ContractMapping.ToDocument(id, body);
        var (result, stored) = await writes.WriteAsync(collection, [new DocumentWrite(id, doc)], IdempotencyKey(request, "upsert"), r => Render(id, r), null, request.HttpContext.RequestAborted);
        return Answer(stored ?? Render(id, result!)!);
    }

    private static async Task<IResult> GetAsync(string name, string id, WritePath writes, IDocumentStore store, IOptions<CoordinatorOptions> options, HttpContext context)
    {
        id = DocumentIds.FromRoute(context, id, options.Value);
        var collection = await writes.ResolveAsync(name, context.RequestAborted);
        var doc = await store.GetAsync(collection, id, context.RequestAborted) ?? throw MosaicException.NotFound($"document '{id}' does not exist in '{name}'");
        return Results.Json(new DocumentResponse(doc.Id, doc.Text, doc.Vector, ContractMapping.ParseFields(doc.FieldsJson)), MosaicJson.Api.DocumentResponse);
    }

    private static async Task<IResult> DeleteAsync(string name, string id, HttpRequest request, WritePath writes, IOptions<CoordinatorOptions> options)
    {
        id = DocumentIds.FromRoute(request.HttpContext, id, options.Value);
        var collection = await writes.ResolveAsync(name, request.HttpContext.RequestAborted);
        var (result, stored) = await writes.WriteAsync(collection, [new DocumentWrite(id, null)], IdempotencyKey(request, "delete"), r => Render(id, r), null, request.HttpContext.RequestAborted);
        if (stored is not null)
        {
            return Answer(stored);
        }

        return result!.Missing.Count > 0
            ? throw MosaicException.NotFound($"document '{id}' does not exist in '{name}'")
            : Answer(Render(id, result)!);
    }

    private static async Task<IResult> BulkAsync(string name, HttpRequest request, WritePath writes, IOptions<CoordinatorOptions> options)
    {
        var collection = await writes.ResolveAsync(name, request.HttpContext.RequestAborted);
        List<DocumentWrite> batch;
        List<int> lines;
        using (var body = await RequestBody.ReadAllAsync(request, options.Value.MaxBulkBytes, "body"))
        {
            (batch, lines) = ParseLines(body.Span, options.Value.MaxDocumentBytes);
        }

        if (batch.Count == 0)
        {
            throw MosaicException.Invalid("body: no documents; send one JSON document per line (NDJSON)");
        }

        var (result, stored) = await writes.WriteAsync(collection, batch, IdempotencyKey(request, "bulk"), RenderBulk, i => $"line {lines[i]}: ", request.HttpContext.RequestAborted);
        return Answer(stored ?? RenderBulk(result!));
    }

    private static (List<DocumentWrite> Batch, List<int> Lines) ParseLines(ReadOnlySpan<byte> body, int maxLineBytes)
    {
        var batch = new List<DocumentWrite>();
        var lines = new List<int>();
        int lineNumber = 0;
        while (!body.IsEmpty)
        {
            lineNumber++;
            int end = body.IndexOf((byte)'\n');
            var line = end < 0 ? body : body[..end];
            body = end < 0 ? [] : body[(end + 1)..];
            line = line.TrimEnd((byte)'\r');
            if (line.Trim(" \t"u8).IsEmpty)
            {
                continue;
            }

            if (line.Length > maxLineBytes)
            {
                throw new MosaicException(ErrorKind.TooLarge, "payload_too_large", $"line {lineNumber}: document is {line.Length} bytes, the limit is {maxLineBytes}");
            }

            try
            {
                batch.Add(ParseLine(line));
            }
            catch (MosaicException ex)
            {
                // Messages name the line; the prefix is built only for a bad line, not for each of a bulk's thousand good ones.
                throw new MosaicException(ex.Kind, ex.Code, $"line {lineNumber}: {ex.Detail}");
            }

            lines.Add(lineNumber);
        }

        return (batch, lines);
    }

    private static DocumentWrite ParseLine(ReadOnlySpan<byte> line)
    {
        var doc = RequestBody.Parse(line, MosaicJson.Api.DocumentBody, "");
        if (doc.Delete is not null)
        {
            return doc.Id is not null || doc.Text is not null || doc.Vector is not null || doc.Fields is not null
                ? throw MosaicException.Invalid("delete: a delete line holds only {\"delete\": \"<id>\"}")
                : new DocumentWrite(doc.Delete, null);
        }

        string id = doc.Id ?? throw MosaicException.Invalid("id: required");
        return new DocumentWrite(id, ContractMapping.ToDocument(id, doc));
    }

    /// <summary>The request's key, if it sent one, with the kind of write it names (each kind answers in its own shape).</summary>
    private static IdempotentRequest? IdempotencyKey(HttpRequest request, string kind) =>
        request.Headers.TryGetValue(IdempotencyHeader, out var key) && !string.IsNullOrEmpty(key) ? new IdempotentRequest(key.ToString(), kind) : null;

    private static string? Render(string id, WriteResult result) => result.Missing.Count > 0
        ? null
        : JsonSerializer.Serialize(new WriteResponse(id, result.Token.Encode()), MosaicJson.Api.WriteResponse);

    private static string RenderBulk(WriteResult result) =>
        JsonSerializer.Serialize(new BulkResponse(result.Written, result.Token.Encode(), result.Missing.Count > 0 ? result.Missing.Take(100).ToList() : null), MosaicJson.Api.BulkResponse);

    private static IResult Answer(string json) => Results.Content(json, "application/json", statusCode: 200);
}
