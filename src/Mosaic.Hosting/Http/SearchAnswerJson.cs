using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Mosaic.Contracts;
using Mosaic.Coordinator.Reads;

namespace Mosaic.Hosting.Http;

/// <summary>Writes search answers as the <see cref="SearchResponse"/> contract, straight to the response body.</summary>
/// <remarks>
/// The same JSON the serializer writes for <see cref="SearchResponse"/> (snake_case, nulls left out, the API's encoder,
/// <c>took_ms</c> rounded to 3 decimals), without building the contract objects: each hit's stored fields JSON goes out
/// as it is instead of being parsed into a <see cref="JsonElement"/> and written back (JSON was 11 % of an embedded vector
/// search's CPU in the profile in bench/README.md, "Cluster"). A test compares the output with the serializer's.
/// </remarks>
internal static class SearchAnswerJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = MosaicJson.Api.Options.Encoder, SkipValidation = true };

    /// <summary>One answer as a 200 response.</summary>
    public static IResult Result(SearchAnswer answer) => new One(answer);

    /// <summary>A batch's answers as a 200 <see cref="BatchSearchResponse"/>.</summary>
    public static IResult Batch(IReadOnlyList<SearchAnswer> answers) => new Many(answers);

    public static void Write(Utf8JsonWriter w, SearchAnswer answer)
    {
        w.WriteStartObject();
        w.WriteStartArray("hits");
        foreach (var hit in answer.Hits)
        {
            w.WriteStartObject();
            w.WriteString("id", hit.Id);
            w.WriteNumber("score", Finite(hit.Score));
            if (hit.Text is not null)
            {
                w.WriteString("text", hit.Text);
            }

            if (hit.FieldsJson is not null)
            {
                w.WritePropertyName("fields");
                // Stored as the write path validated and wrote it; checked again here, so a damaged row fails the
                // request instead of sending broken JSON.
                w.WriteRawValue(hit.FieldsJson, skipInputValidation: false);
            }

            if (hit.Vector is not null)
            {
                w.WriteStartArray("vector");
                foreach (float v in hit.Vector)
                {
                    w.WriteNumberValue(v);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteNumber("took_ms", Math.Round(answer.TookMs, 3));
        w.WriteStartObject("shards");
        w.WriteNumber("total", answer.ShardsTotal);
        w.WriteNumber("ok", answer.ShardsOk);
        w.WriteNumber("failed", answer.Failures.Count);
        w.WriteStartArray("failures");
        foreach (var failure in answer.Failures)
        {
            w.WriteStartObject();
            w.WriteNumber("shard", failure.Shard);
            w.WriteString("reason", failure.Reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNumber("coverage", answer.Coverage);
        w.WriteBoolean("partial", answer.Partial);
        w.WriteBoolean("cached", answer.Cached);
        w.WriteEndObject();
    }

    /// <summary>A score JSON can carry: writing infinity or NaN throws mid-answer (a 500 for the whole search).</summary>
    /// <remarks>
    /// New vectors are bounded so scores stay finite (<see cref="Core.Collections.VectorLimits"/>); a vector stored before
    /// that check could still overflow one, and its search should rank it last or first, not fail.
    /// </remarks>
    private static float Finite(float score) => float.IsFinite(score) ? score : float.IsNaN(score) ? float.MinValue : Math.Clamp(score, float.MinValue, float.MaxValue);

    /// <summary>A 200 JSON body written by <see cref="WriteBody"/> (a result per shape rather than a closure per request).</summary>
    private abstract class Written : IResult
    {
        public Task ExecuteAsync(HttpContext context)
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json; charset=utf-8";
            // Into the response's pipe, whose buffers Kestrel sends from: no intermediate string or array.
            using (var writer = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
            {
                WriteBody(writer);
            }

            // Usually completes at once (the body fits the pipe's threshold): no state machine then. Its result is still
            // read, so that a pooled source behind the ValueTask is released as awaiting it would.
            var flush = response.BodyWriter.FlushAsync(context.RequestAborted);
            if (flush.IsCompletedSuccessfully)
            {
                _ = flush.Result;
                return Task.CompletedTask;
            }

            return flush.AsTask();
        }

        protected abstract void WriteBody(Utf8JsonWriter writer);
    }

    private sealed class One(SearchAnswer answer) : Written
    {
        protected override void WriteBody(Utf8JsonWriter writer) => Write(writer, answer);
    }

    private sealed class Many(IReadOnlyList<SearchAnswer> answers) : Written
    {
        protected override void WriteBody(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteStartArray("results");
            foreach (var answer in answers)
            {
                Write(writer, answer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }
}
