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
        var filter = Parse("""{"or": [{"and": [{"field": "category", "eq": "a"}, {"field": "price", "gt": 1.5, "lte": 9}]}, {"not": {"field": "price", "in": [1, 2]}}]}""");
        var again = FilterParser.Parse(JsonDocument.Parse(FilterParser.Write(filter)).RootElement, Spec);
        Assert.Equal(FilterParser.Write(filter), FilterParser.Write(again));
        Assert.Contains("\"gt\":1.5", FilterParser.Write(again));
    }

    [Fact]
    public void Rejects_filters_nested_too_deep()
    {
        string json = string.Concat(Enumerable.Repeat("""{"not": """, 40)) + """{"field": "price", "eq": 1}""" + new string('}', 40);
        Assert.Throws<MosaicException>(() => Parse(json));
    }
}
