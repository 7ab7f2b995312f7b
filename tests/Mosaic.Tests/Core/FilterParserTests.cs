using System.Text.Json;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class FilterParserTests
{
    private static readonly CollectionSpec Spec = new(
        "c", 4, VectorMetric.Cosine, 1, 1,
        new Dictionary<string, FieldType> { ["category"] = FieldType.Keyword, ["price"] = FieldType.Number },
        HnswSettings.Default);

    private static Filter Parse(string json) => FilterParser.Parse(JsonDocument.Parse(json).RootElement, Spec);

    [Fact]
    public void Parses_nested_boolean_filters_with_typed_leaves()
    {
        var filter = Parse("""{"and": [{"field": "category", "in": ["a", "b"]}, {"not": {"field": "price", "gte": 10, "lt": 100}}, {"or": [{"field": "price", "eq": 5}]}]}""");
        var and = Assert.IsType<Filter.And>(filter);
        Assert.Equal(["a", "b"], Assert.IsType<Filter.KeywordIn>(and.Items[0]).Values);
        var range = Assert.IsType<Filter.NumberRange>(Assert.IsType<Filter.Not>(and.Items[1]).Item);
        Assert.Equal((10.0, true, 100.0, false), (range.Min!.Value, range.MinInclusive, range.Max!.Value, range.MaxInclusive));
        Assert.Equal([5.0], Assert.IsType<Filter.NumberIn>(Assert.IsType<Filter.Or>(and.Items[2]).Items[0]).Values);
    }

    [Theory]
    [InlineData("""{"field": "colour", "eq": "x"}""", "colour")]
    [InlineData("""{"field": "category", "gt": 3}""", "category")]
    [InlineData("""{"field": "price", "eq": "cheap"}""", "price")]
    [InlineData("""{"field": "price", "eq": 1, "lt": 3}""", "filter.eq")]
    [InlineData("""{"and": []}""", "filter.and")]
    [InlineData("""{"field": "price"}""", "operator")]
    [InlineData("""[1, 2]""", "filter")]
    public void Rejects_bad_filters_naming_the_problem(string json, string mentioned)
    {
        var ex = Assert.Throws<MosaicException>(() => Parse(json));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(mentioned, ex.Detail);
    }

    [Fact]
    public void Written_filter_parses_back_to_the_same_tree()
    {
        // The tree the JSON below means, built by hand rather than by the parser.
        Filter expected = new Filter.Or(
        [
            new Filter.And([new Filter.KeywordIn("category", ["a"]), new Filter.NumberRange("price", 1.5, false, 9, true)]),
            new Filter.Not(new Filter.NumberIn("price", [1, 2])),
        ]);
        var parsed = Parse("""{"or": [{"and": [{"field": "category", "eq": "a"}, {"field": "price", "gt": 1.5, "lte": 9}]}, {"not": {"field": "price", "in": [1, 2]}}]}""");
        FilterTrees.AssertSame(expected, parsed);

        var again = FilterParser.Parse(JsonDocument.Parse(FilterParser.Write(parsed)).RootElement, Spec);
        FilterTrees.AssertSame(expected, again);

        // Open bounds and several values survive the round trip too.
        Filter open = new Filter.And([new Filter.NumberRange("price", null, false, 0.25, false), new Filter.KeywordIn("category", ["x", "y", "z"])]);
        FilterTrees.AssertSame(open, FilterParser.Parse(JsonDocument.Parse(FilterParser.Write(open)).RootElement, Spec));
    }

    [Fact]
    public void Rejects_filters_nested_too_deep()
    {
        string json = string.Concat(Enumerable.Repeat("""{"not": """, 40)) + """{"field": "price", "eq": 1}""" + new string('}', 40);
        Assert.Throws<MosaicException>(() => Parse(json));
    }
}
