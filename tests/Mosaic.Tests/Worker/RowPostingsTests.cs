using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Index;
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

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public void An_and_checks_the_drivers_candidates_against_its_other_conditions_columns_and_answers_exactly(int seed)
    {
        var table = new RowTable(new Dictionary<string, FieldType> { ["tag"] = FieldType.Keyword, ["color"] = FieldType.Keyword, ["price"] = FieldType.Number });
        var random = new Random(seed);
        const int Rows = 30_000;
        var tag = new string?[Rows];
        var color = new string?[Rows];
        var price = new double[Rows];
        for (long r = 0; r < Rows; r++)
        {
            // "t0" is dense in the first block (a bitmap block of its posting list) and sparse after (array blocks).
            tag[r] = r < 4096 ? (r % 3 == 0 ? "t0" : "t1") : "t" + random.Next(20);
            color[r] = "c" + random.Next(8);
            price[r] = Math.Round(random.NextDouble() * 1000, 1);
            table.Set(r, $"d{r}", 1, $$"""{"tag": "{{tag[r]}}", "color": "{{color[r]}}", "price": {{price[r]}}}""");
        }

        for (long r = 5; r < Rows; r += 13)
        {
            tag[r] = null;
            table.Clear(r);
        }

        bool Live(int r) => tag[r] is not null;

        // Driven by tag (~1/20 of the rows, more in block 0); price < 150 and the two colours check its candidates.
        var filter = new Filter.And([
            new Filter.KeywordIn("tag", ["t0"]),
            new Filter.NumberRange("price", null, false, 150, false),
            new Filter.KeywordIn("color", ["c1", "c6"]),
        ]);
        var compiled = RowFilter.Compile(table, filter);
        Assert.Equal(2, compiled.Probes);
        var expected = Enumerable.Range(0, Rows).Where(r => Live(r) && tag[r] == "t0" && price[r] < 150 && color[r] is "c1" or "c6").Select(r => (long)r).ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, compiled.AllowedRows(int.MaxValue));
        Assert.Equal(expected.Take(3), compiled.AllowedRows(3));

        // A range that holds most rows checks the driver's candidates all the same.
        var wide = RowFilter.Compile(table, new Filter.And([new Filter.KeywordIn("tag", ["t7"]), new Filter.NumberRange("price", null, false, 900, false)]));
        Assert.Equal(1, wide.Probes);
        Assert.Equal(
            Enumerable.Range(0, Rows).Where(r => Live(r) && tag[r] == "t7" && price[r] < 900).Select(r => (long)r).ToList(),
            wide.AllowedRows(int.MaxValue));

        // An or inside an and is checked through its predicate.
        var either = RowFilter.Compile(table, new Filter.And([
            new Filter.KeywordIn("tag", ["t3"]),
            new Filter.Or([new Filter.NumberRange("price", 100, true, 120, false), new Filter.KeywordIn("color", ["c2"])]),
        ]));
        Assert.Equal(1, either.Probes);
        Assert.Equal(
            Enumerable.Range(0, Rows).Where(r => Live(r) && tag[r] == "t3" && ((price[r] >= 100 && price[r] < 120) || color[r] == "c2")).Select(r => (long)r).ToList(),
            either.AllowedRows(int.MaxValue));
    }

    [Fact]
    public void Rows_left_unchecked_equal_the_checked_ones_when_the_indexes_answer_every_condition_and_are_checked_otherwise()
    {
        var table = new RowTable(new Dictionary<string, FieldType> { ["tag"] = FieldType.Keyword, ["price"] = FieldType.Number });
        var random = new Random(5);
        const int Rows = 20_000;
        var tag = new string?[Rows];
        var price = new double[Rows];
        void Write(long r)
        {
            tag[r] = "t" + random.Next(10);
            price[r] = random.Next(1000);
            table.Set(r, $"d{r}", 1, $$"""{"tag": "{{tag[r]}}", "price": {{price[r]}}}""");
        }

        for (long r = 0; r < Rows; r++)
        {
            Write(r);
        }

        // Updates move rows between posting lists and along the sorted column; deletes take them out of both.
        for (long r = 0; r < Rows; r += 7)
        {
            Write(r);
        }

        for (long r = 3; r < Rows; r += 11)
        {
            tag[r] = null;
            table.Clear(r);
        }

        List<long> Expected(Func<int, bool> allowed) =>
            Enumerable.Range(0, Rows).Where(r => tag[r] is not null && allowed(r)).Select(r => (long)r).ToList();

        var probed = RowFilter.Compile(table, new Filter.And([new Filter.KeywordIn("tag", ["t4"]), new Filter.NumberRange("price", null, false, 200, false)]));
        Assert.Equal(1, probed.Probes);
        Assert.Equal(Expected(r => tag[r] == "t4" && price[r] < 200), probed.AllowedRows(int.MaxValue, checkEach: false));
        var single = RowFilter.Compile(table, new Filter.NumberIn("price", [17, 400]));
        Assert.Equal(Expected(r => price[r] is 17 or 400), single.AllowedRows(int.MaxValue, checkEach: false));

        // Conditions no index answers (a not) and wide ranges are read from the table for each candidate even when the
        // caller lets the plan skip its own check.
        var negated = RowFilter.Compile(table, new Filter.And([new Filter.KeywordIn("tag", ["t4"]), new Filter.Not(new Filter.NumberRange("price", null, false, 500, false))]));
        Assert.Equal(Expected(r => tag[r] == "t4" && price[r] >= 500), negated.AllowedRows(int.MaxValue, checkEach: false));
        var wide = RowFilter.Compile(table, new Filter.And([new Filter.KeywordIn("tag", ["t2"]), new Filter.NumberRange("price", null, false, 990, false)]));
        Assert.Equal(1, wide.Probes);
        Assert.Equal(Expected(r => tag[r] == "t2" && price[r] < 990), wide.AllowedRows(int.MaxValue, checkEach: false));
        var nested = RowFilter.Compile(table, new Filter.And([
            new Filter.KeywordIn("tag", ["t1"]),
            new Filter.And([new Filter.NumberRange("price", 100, true, null, false), new Filter.NumberRange("price", null, false, 200, false)]),
        ]));
        Assert.Equal(Expected(r => tag[r] == "t1" && price[r] >= 100 && price[r] < 200), nested.AllowedRows(int.MaxValue, checkEach: false));

        Assert.True(probed.AllowsAll([new VectorHit(Expected(r => tag[r] == "t4" && price[r] < 200)[0], 0.5f)]));
        Assert.False(probed.AllowsAll([new VectorHit(3, 0.5f)]));
    }
}
