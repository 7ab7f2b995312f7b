using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Worker.Shards;
using Xunit;

namespace Mosaic.Tests.Worker;

/// <summary>Posting lists and the filter plan against a reference set kept by the test, across the array/bitmap switch.</summary>
public sealed class RowPostingsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public void Postings_match_a_reference_set_through_adds_removes_and_block_conversions(int seed)
    {
        var random = new Random(seed);
        var postings = new RowPostings();
        var reference = new SortedSet<long>();
        // Dense in block 0 (becomes a bitmap), sparse in later blocks (stays arrays), then churn in both.
        for (int i = 0; i < 20_000; i++)
        {
            long row = i < 8_000 ? random.Next(4096) : random.Next(4096 * 40);
            if (random.Next(4) == 0)
            {
                postings.Remove(row);
                reference.Remove(row);
            }
            else
            {
                postings.Add(row);
                reference.Add(row);
            }
        }

        var rows = new List<long>();
        postings.AddTo(rows);
        Assert.Equal(reference.ToList(), rows);
        Assert.Equal(reference.Count, postings.Count);
    }

    [Fact]
    public void Filter_plan_uses_postings_only_when_selective_and_answers_exactly_either_way()
    {
        var table = new RowTable(new Dictionary<string, FieldType> { ["tag"] = FieldType.Keyword, ["n"] = FieldType.Number });
        var random = new Random(5);
        var tags = new string[10_000];
        for (long r = 0; r < tags.Length; r++)
        {
            tags[r] = r % 10 == 0 ? "rare-" + random.Next(5) : "common";
            table.Set(r, $"d{r}", 1, $$"""{"tag": "{{tags[r]}}", "n": {{r % 100}}}""");
        }

        // Move some rows between values and delete some: the lists must follow.
        for (long r = 0; r < tags.Length; r += 7)
        {
            tags[r] = "rare-0";
            table.Set(r, $"d{r}", 2, """{"tag": "rare-0", "n": 1}""");
        }

        for (long r = 3; r < tags.Length; r += 11)
        {
            tags[r] = "";
            table.Clear(r);
        }

        var rare = RowFilter.Compile(table, new Filter.KeywordIn("tag", ["rare-0", "rare-3"]));
        Assert.NotNull(rare.EstimatedCandidates);
        var expected = Enumerable.Range(0, tags.Length).Where(r => tags[r] is "rare-0" or "rare-3").Select(r => (long)r).ToList();
        Assert.Equal(expected, rare.AllowedRows(int.MaxValue));

        // An and picks its most selective indexed child; rows are still checked against the whole filter.
        var narrowed = RowFilter.Compile(table, new Filter.And([new Filter.KeywordIn("tag", ["rare-0"]), new Filter.NumberRange("n", null, false, 50, false)]));
        Assert.Equal(
            Enumerable.Range(0, tags.Length).Where(r => tags[r] == "rare-0" && (r % 7 == 0 ? 1 : r % 100) < 50).Select(r => (long)r).ToList(),
            narrowed.AllowedRows(int.MaxValue));

        // "common" is most of the table: a scan, with the same exact answer.
        var common = RowFilter.Compile(table, new Filter.KeywordIn("tag", ["common"]));
        Assert.Equal(Enumerable.Range(0, tags.Length).Where(r => tags[r] == "common").Select(r => (long)r).ToList(), common.AllowedRows(int.MaxValue));

        // Numbers are indexed too (sorted columns): n = 3 holds 1% of the rows; a negation needs a scan.
        var three = RowFilter.Compile(table, new Filter.NumberIn("n", [3]));
        var expectedThree = Enumerable.Range(0, tags.Length).Where(r => tags[r] != "" && (r % 7 == 0 ? 1 : r % 100) == 3).Select(r => (long)r).ToList();
        Assert.Equal(expectedThree.Count, three.EstimatedCandidates);
        Assert.Equal(expectedThree, three.AllowedRows(int.MaxValue));
        Assert.Null(RowFilter.Compile(table, new Filter.Not(new Filter.NumberIn("n", [3]))).EstimatedCandidates);
        Assert.Equal(5, rare.AllowedRows(5).Count);
    }
}
