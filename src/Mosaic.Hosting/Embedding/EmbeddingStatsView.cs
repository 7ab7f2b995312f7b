using Mosaic.Contracts;
using Mosaic.Embedding;

namespace Mosaic.Hosting.Embedding;

/// <summary>The embedding counters as /cluster shows them.</summary>
internal static class EmbeddingStatsView
{
    public static EmbeddingStatsResponse Of(EmbeddingStats stats)
    {
        long hits = stats.L1Hits + stats.L2Hits, lookups = hits + stats.Misses, runs = stats.ModelRuns;
        return new EmbeddingStatsResponse(
            stats.L1Hits,
            stats.L2Hits,
            stats.Misses,
            lookups == 0 ? 0 : Math.Round((double)hits / lookups, 4),
            stats.ModelTexts,
            runs,
            stats.ModelTokens,
            runs == 0 ? 0 : Math.Round((double)stats.ModelTexts / runs, 2),
            stats.RemoteCalls,
            stats.RemoteFailures);
    }
}
