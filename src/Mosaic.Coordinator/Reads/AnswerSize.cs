using Mosaic.Core.Errors;
using Mosaic.Core.Search;

namespace Mosaic.Coordinator.Reads;

/// <summary>What an answer's documents weigh, against <see cref="CoordinatorOptions.MaxAnswerBytes"/>.</summary>
/// <remarks>
/// An estimate, not the serialized length (<see cref="DocPayload.EstimateBytes"/>, the same the shards stop their
/// fetches by): it errs low only for non-ASCII text, which the limit's headroom covers: the server holds the answer's
/// objects and then its JSON, about four times these bytes at the peak.
/// </remarks>
public static class AnswerSize
{
    public static long Of(SearchAnswer answer)
    {
        long bytes = 0;
        foreach (var hit in answer.Hits)
        {
            bytes += DocPayload.EstimateBytes(hit.Id, hit.Text, hit.FieldsJson, hit.Vector?.Length ?? 0);
        }

        return bytes;
    }

    /// <summary>A 400 when <paramref name="bytes"/> passes <paramref name="limit"/>; <paramref name="what"/> names the answer.</summary>
    public static void Check(long bytes, long limit, string what)
    {
        if (bytes > limit)
        {
            throw TooLarge($"{what} would carry about {bytes} bytes of documents", limit);
        }
    }

    /// <summary>The 400 for a fetch a shard stopped once its payloads passed the limit (<paramref name="read"/> bytes, at least).</summary>
    public static MosaicException PastLimit(long read, long limit) =>
        TooLarge(read > limit ? $"the answer would carry more than {read} bytes of documents" : "the answer's documents would pass the limit", limit);

    private static MosaicException TooLarge(string what, long limit) => new(
        ErrorKind.InvalidArgument,
        "answer_too_large",
        $"{what}, more than Mosaic:Coordinator:MaxAnswerBytes ({limit}): ask for fewer hits (top_k), fewer searches, or leave text, fields or vector out of include");
}
