using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Mosaic.Contracts;
using Mosaic.Core.Embedding;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;
using Mosaic.Embedding;
using Mosaic.Hosting.Http;

namespace Mosaic.Hosting.Endpoints;

/// <summary>OpenAI-compatible POST /v1/embeddings and GET /v1/models, so OpenAI client libraries work against Mosaic unchanged.</summary>
/// <remarks>
/// <c>encoding_format</c> base64 (what the official clients ask for by default) is the vector's float32 values,
/// little-endian, base64-encoded, exactly as OpenAI sends them. A request holds at most 2,048 inputs (400 past that) and
/// <see cref="EmbeddingOptions.MaxRequestCharacters"/> characters in all (413 past that), checked before anything is
/// embedded.
/// </remarks>
internal static class EmbeddingEndpoints
{
    /// <summary>OpenAI's own limit of inputs per request.</summary>
    private const int MaxInputs = 2048;
    private const long MaxBodyBytes = 32L << 20;

    public static void MapEmbeddings(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("embeddings");
        group.MapPost("/embeddings", EmbedAsync)
            .Body<EmbeddingsRequest, RouteHandlerBuilder>("application/json").Produces<EmbeddingsResponse<float[]>>()
            .Produces<ErrorResponse>(400).Produces<ErrorResponse>(413).Produces<ErrorResponse>(503);
        group.MapGet("/models", () => Results.Json(
            new ModelListResponse("list", EmbeddingModel.Known.Select(m => new ModelResponse(m.Name, "model", 0, "mosaic")).ToList()),
            MosaicJson.Api.ModelListResponse)).Produces<ModelListResponse>();
    }

    private static async Task<IResult> EmbedAsync(HttpRequest request, IEmbedder embedder, IOptions<EmbeddingOptions> options)
    {
        var body = await RequestBody.ReadJsonAsync(request, MosaicJson.Api.EmbeddingsRequest, MaxBodyBytes, "body");
        var model = EmbeddingModel.Get(body.Model ?? throw MosaicException.Invalid("model: required (GET /v1/models lists them)"), "model");
        bool base64 = body.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw MosaicException.Invalid($"encoding_format: must be float or base64, got '{(body.EncodingFormat.Length <= 32 ? body.EncodingFormat : body.EncodingFormat[..32])}'"),
        };
        if (body.Dimensions is int dimensions && dimensions != model.Dimension)
        {
            throw MosaicException.Invalid($"dimensions: model '{model.Name}' makes {model.Dimension}-dimensional vectors only, got {dimensions}");
        }

        var texts = Inputs(body.Input);
        CheckSize(texts, options.Value.MaxRequestCharacters);
        var result = await embedder.EmbedAsync(model.Name, texts, request.HttpContext.RequestAborted);
        var usage = new EmbeddingsUsage(result.Tokens, result.Tokens);
        return base64
            ? Results.Json(
                new EmbeddingsResponse<string>("list", result.Vectors.Select((v, i) => new EmbeddingData<string>("embedding", i, Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan())))).ToList(), model.Name, usage),
                MosaicJson.Api.EmbeddingsResponseString)
            : Results.Json(
                new EmbeddingsResponse<float[]>("list", result.Vectors.Select((v, i) => new EmbeddingData<float[]>("embedding", i, v)).ToList(), model.Name, usage),
                MosaicJson.Api.EmbeddingsResponseSingleArray);
    }

    private static void CheckSize(List<string> texts, int maxCharacters)
    {
        long characters = texts.Sum(t => (long)t.Length);
        if (characters > maxCharacters)
        {
            throw new MosaicException(
                ErrorKind.TooLarge,
                "payload_too_large",
                $"input: {characters} characters in all, the limit is {maxCharacters} per request (Mosaic:Embedder:MaxRequestCharacters); split the inputs over several requests");
        }
    }

    private static List<string> Inputs(JsonElement? input)
    {
        switch (input)
        {
            case { ValueKind: JsonValueKind.String } text:
                return [text.GetString()!];
            case { ValueKind: JsonValueKind.Array } list:
                int count = list.GetArrayLength();
                if (count is 0 or > MaxInputs)
                {
                    throw MosaicException.Invalid($"input: a list must hold 1..{MaxInputs} strings, got {count}");
                }

                var texts = new List<string>(count);
                foreach (var item in list.EnumerateArray())
                {
                    texts.Add(item.ValueKind == JsonValueKind.String
                        ? item.GetString()!
                        : throw MosaicException.Invalid($"input[{texts.Count}]: must be a string (token arrays are not accepted)"));
                }

                return texts;
            default:
                throw MosaicException.Invalid("input: required, a string or a list of strings");
        }
    }
}
