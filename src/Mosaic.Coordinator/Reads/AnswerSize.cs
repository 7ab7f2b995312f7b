using Mosaic.Core.Errors;
using Mosaic.Core.Search;

namespace Mosaic.Coordinator.Reads;

/// <summary>What an answer's documents weigh, against <see cref="CoordinatorOptions.MaxAnswerBytes"/>.</summary>
/// <remarks>
/// An estimate, not the serialized length: characters of ids, texts and fields, 12 bytes a vector value, 64 a hit. It is
/// cheap (no text is scanned) and errs low only for non-ASCII text, which the limit's headroom covers: the server holds
/// the answer's objects and then its JSON, about four times these bytes at the peak.
/// </remarks>
public static class AnswerSize
{
    public static long Of(SearchAnswer answer)
    {
        long bytes = 0;
        foreach (var hit in answer.Hits)
        {
            bytes += 64 + hit.Id.Length + (hit.Text?.Length ?? 0) + (hit.FieldsJson?.Length ?? 0) + (12L * (hit.Vector?.Length ?? 0));
        }

        return bytes;
    }

    /// <summary>A 400 when <paramref name="bytes"/> passes <paramref name="limit"/>; <paramref name="what"/> names the answer.</summary>
    public static void Check(long bytes, long limit, string what)
    {
        if (bytes > limit)
        {
            throw new MosaicException(
                ErrorKind.InvalidArgument,
                "answer_too_large",
                $"{what} would carry about {bytes} bytes of documents, more than Mosaic:Coordinator:MaxAnswerBytes ({limit}): ask for fewer hits (top_k), fewer searches, or leave text, fields or vector out of include");
        }
    }
}
