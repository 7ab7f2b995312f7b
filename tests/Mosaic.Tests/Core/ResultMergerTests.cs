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
    public void Merge_of_many_hits_keeps_each_id_once_with_its_best_score_in_score_then_id_order()
    {
        // Past the few ids compared one by one: the merge switches to a set, and must give the same answer.
        var random = new Random(7);
        var lists = Enumerable.Range(0, 3)
            .Select(_ => Enumerable.Range(0, 40).Select(_ => new ScoredDoc($"d{random.Next(60):D2}", random.Next(20) / 20f)).ToArray())
            .ToArray();
        var expected = lists.SelectMany(l => l)
            .GroupBy(h => h.Id)
            .Select(g => (Id: g.Key, Score: g.Max(h => h.Score)))
            .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal)
            .Take(45)
            .ToList();

        var merged = ResultMerger.MergeTopK(lists, 45);

        Assert.Equal(expected.Select(h => h.Id), merged.Select(h => h.Id));
        Assert.Equal(expected.Select(h => h.Score), merged.Select(h => h.Score));
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
