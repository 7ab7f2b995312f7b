using Mosaic.Core.Search;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class ResultMergerTests
{
    [Fact]
    public void Merge_takes_global_top_k_across_shards_and_dedupes()
    {
        var a = new[] { new ScoredDoc("a1", 0.9f), new ScoredDoc("a2", 0.5f) };
        var b = new[] { new ScoredDoc("b1", 0.8f), new ScoredDoc("a1", 0.7f), new ScoredDoc("b2", 0.1f) };
        var merged = ResultMerger.MergeTopK([a, b], 3);
        Assert.Equal(["a1", "b1", "a2"], merged.Select(h => h.Id));
        Assert.Equal(0.9f, merged[0].Score);
    }

    [Fact]
    public void Rrf_ranks_a_document_in_both_lists_first()
    {
        var vector = new[] { new ScoredDoc("v-only", 0.99f), new ScoredDoc("both", 0.9f) };
        var keyword = new[] { new ScoredDoc("k-only", 12f), new ScoredDoc("both", 11f) };
        var fused = ResultMerger.FuseReciprocalRank(vector, keyword, 10);
        Assert.Equal("both", fused[0].Id);
        Assert.Equal(2.0 / 62, fused[0].Score, 6);
        Assert.Equal(3, fused.Count);
        Assert.Equal(1.0 / 61, fused[1].Score, 6);
    }
}
