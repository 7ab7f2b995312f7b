using Mosaic.Core.Collections;
using Mosaic.Core.Search;
using Mosaic.Worker.Shards;
using Xunit;

namespace Mosaic.Tests.Worker;

/// <summary>Sorted number columns and the range-driven filter plan, against a reference kept by the test.</summary>
public sealed class RowNumbersTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(77)]
    public void Ranges_match_a_reference_through_adds_removes_splits_and_emptied_leaves(int seed)
    {
        var random = new Random(seed);
        var numbers = new RowNumbers();
        var reference = new Dictionary<long, double>();
        // Few distinct values (many equal keys across leaf boundaries), then churn that empties whole value runs.
        for (int i = 0; i < 30_000; i++)
        {
            long row = random.Next(8_000);
            if (reference.Remove(row, out double old))
            {
                numbers.Remove(old, row);
            }

            if (i < 20_000 ? random.Next(5) > 0 : random.Next(3) == 0)
            {
                double value = random.Next(-50, 50) / 4.0;
                numbers.Add(value, row);
                reference[row] = value;
            }
        }

        Assert.Equal(reference.Count, numbers.Count);
        for (int q = 0; q < 300; q++)
        {
            double? min = random.Next(5) == 0 ? null : random.Next(-60, 60) / 4.0;
            double? max = random.Next(5) == 0 ? null : min + random.Next(0, 40) / 4.0;
            bool minInclusive = random.Next(2) == 0, maxInclusive = random.Next(2) == 0;
            var expected = reference.Where(p => (min is not double lo || (minInclusive ? p.Value >= lo : p.Value > lo))
                    && (max is not double hi || (maxInclusive ? p.Value <= hi : p.Value < hi)))
                .Select(p => p.Key).Order().ToList();

            var rows = new List<long>();
            numbers.AddWithin(min, minInclusive, max, maxInclusive, rows);
            Assert.Equal(expected, rows.Order().ToList());
            Assert.Equal(expected.Count, numbers.CountWithin(min, minInclusive, max, maxInclusive, long.MaxValue));
            Assert.Equal(Math.Min(expected.Count, 10), numbers.CountWithin(min, minInclusive, max, maxInclusive, 10));
        }
    }

    [Fact]
    public void A_table_opened_in_bulk_indexes_its_numbers_and_keeps_them_current()
    {
        var table = new RowTable(new Dictionary<string, FieldType> { ["price"] = FieldType.Number });
        var prices = new double?[20_000];
        table.DeferNumberIndex();
        for (long r = 0; r < prices.Length; r++)
        {
            prices[r] = r % 50 == 0 ? null : r % 1000 / 10.0;
            table.Set(r, $"d{r}", 1, prices[r] is { } p ? $$"""{"price": {{p}}}""" : "{}");
        }

        table.IndexNumbers();
        for (long r = 1; r < prices.Length; r += 13)
        {
            prices[r] = 1000 + r % 7;
            table.Set(r, $"d{r}", 2, $$"""{"price": {{prices[r]}}}""");
        }

        for (long r = 5; r < prices.Length; r += 17)
        {
            prices[r] = double.NaN; // deleted
            table.Clear(r);
        }

        List<long> Expected(Func<double, bool> match) =>
            Enumerable.Range(0, prices.Length).Where(r => prices[r] is { } p && !double.IsNaN(p) && match(p)).Select(r => (long)r).ToList();

        // A selective range with no keyword condition: driven by the sorted column, exact.
        var selective = RowFilter.Compile(table, new Filter.NumberRange("price", 10, true, 10.5, false));
        var expected = Expected(p => p is >= 10 and < 10.5);
        Assert.Equal(expected.Count, selective.EstimatedCandidates);
        Assert.Equal(expected, selective.AllowedRows(int.MaxValue));

        // Changed values moved in the column: the new ones are found, the old ones are not.
        var moved = RowFilter.Compile(table, new Filter.NumberIn("price", [1003, 1006]));
        Assert.Equal(Expected(p => p is 1003 or 1006), moved.AllowedRows(int.MaxValue));

        // An and takes its most selective child; a wide range alone is a scan, with the same exact answer.
        var both = RowFilter.Compile(table, new Filter.And([new Filter.NumberRange("price", null, false, 90, true), new Filter.NumberIn("price", [42.5])]));
        Assert.Equal(Expected(p => p == 42.5).Count, both.EstimatedCandidates);
        Assert.Equal(Expected(p => p == 42.5), both.AllowedRows(int.MaxValue));
        var wide = RowFilter.Compile(table, new Filter.NumberRange("price", 0, false, null, false));
        Assert.Equal(Expected(p => p > 0), wide.AllowedRows(int.MaxValue));
        Assert.Equal(3, wide.AllowedRows(3).Count);
    }

    [Fact]
    public void A_ranges_bitmap_is_reused_until_the_column_changes_and_filters_follow_every_change()
    {
        var table = new RowTable(new Dictionary<string, FieldType> { ["tag"] = FieldType.Keyword, ["price"] = FieldType.Number });
        const int Rows = 12_000;
        var tag = new string?[Rows];
        var price = new double?[Rows];
        void Write(long r, string t, double? p)
        {
            tag[r] = t;
            price[r] = p;
            string fields = p is double v ? $$"""{"tag": "{{t}}", "price": {{v}}}""" : $$"""{"tag": "{{t}}"}""";
            table.Set(r, $"d{r}", 1, fields);
        }

        for (long r = 0; r < Rows; r++)
        {
            Write(r, "t" + (r % 10), r % 7 == 0 ? null : r * 37 % 1000);
        }

        var column = table.Sorted(table.NumberIndex("price"));
        var first = column.Bitmap(null, false, 200, false, table.RowLimit, build: true);
        Assert.NotNull(first);
        Assert.Same(first, column.Bitmap(null, false, 200, false, table.RowLimit, build: false));
        Assert.Null(column.Bitmap(null, false, 300, true, table.RowLimit, build: false));
        Assert.Equal(price.Count(p => p < 200), column.CountWithin(null, false, 200, false, long.MaxValue));
        Assert.Equal(10, column.CountWithin(null, false, 200, false, 10));
        for (long r = 0; r < Rows; r++)
        {
            Assert.Equal(price[r] < 200, (first![r >> 6] & (1UL << (int)(r & 63))) != 0);
        }

        List<long> Expected() => Enumerable.Range(0, Rows).Where(r => tag[r] == "t3" && price[r] < 200).Select(r => (long)r).ToList();
        List<long> Allowed() => RowFilter
            .Compile(table, new Filter.And([new Filter.KeywordIn("tag", ["t3"]), new Filter.NumberRange("price", null, false, 200, false)]))
            .AllowedRows(int.MaxValue, checkEach: false);
        Assert.Equal(Expected(), Allowed());

        // Into the range, out of it, a value removed, a value added, a row deleted: each change is seen by the next search.
        long inside = Expected()[0];
        long outside = Enumerable.Range(0, Rows).First(r => tag[r] == "t3" && price[r] >= 200);
        long missing = Enumerable.Range(0, Rows).First(r => tag[r] == "t3" && price[r] is null);
        Write(outside, "t3", 150);
        Assert.Equal(Expected(), Allowed());
        Assert.NotSame(first, column.Bitmap(null, false, 200, false, table.RowLimit, build: false));
        Write(inside, "t3", 250);
        Assert.Equal(Expected(), Allowed());
        Write(outside, "t3", null);
        Assert.Equal(Expected(), Allowed());
        Write(missing, "t3", 10);
        Assert.Equal(Expected(), Allowed());
        long deleted = Expected()[^1];
        table.Clear(deleted);
        tag[deleted] = null;
        Assert.Equal(Expected(), Allowed());
        Assert.DoesNotContain(deleted, Allowed());

        // A narrow range drives; a keyword value checks its rows by the code column (no rows for a value never seen).
        var byRange = RowFilter.Compile(table, new Filter.And([new Filter.NumberRange("price", 10, true, 30, true), new Filter.KeywordIn("tag", ["t3"])]));
        Assert.Equal(1, byRange.Probes);
        Assert.Equal(
            Enumerable.Range(0, Rows).Where(r => tag[r] == "t3" && price[r] >= 10 && price[r] <= 30).Select(r => (long)r).ToList(),
            byRange.AllowedRows(int.MaxValue, checkEach: false));
        Assert.Empty(RowFilter.Compile(table, new Filter.And([new Filter.NumberRange("price", 10, true, 30, true), new Filter.KeywordIn("tag", ["never"])]))
            .AllowedRows(int.MaxValue, checkEach: false));
    }
}
