using Google.Protobuf;
using Mosaic.Contracts.Rpc;
using Mosaic.Coordinator.Remote;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;
using Mosaic.Tests.Core;
using Mosaic.Worker.Rpc;
using Xunit;

namespace Mosaic.Tests.Worker;

/// <summary>Filters travel to workers as protobuf: every node kind survives encode, the wire, and decode unchanged.</summary>
public sealed class FilterMessageTests
{
    private static readonly CollectionSpec Spec = new(
        "c", 4, VectorMetric.Cosine, 1, 1,
        new Dictionary<string, FieldType> { ["category"] = FieldType.Keyword, ["price"] = FieldType.Number, ["year"] = FieldType.Number },
        HnswSettings.Default);

    public static TheoryData<string> Kinds() => ["and", "or", "not", "keyword_in", "number_in", "range_closed", "range_open_below", "range_open_above", "nested"];

    private static Filter Sample(string kind) => kind switch
    {
        "and" => new Filter.And([new Filter.KeywordIn("category", ["a"]), new Filter.NumberIn("year", [2024])]),
        "or" => new Filter.Or([new Filter.KeywordIn("category", ["a", "b"]), new Filter.NumberRange("price", 1, true, 2, false)]),
        "not" => new Filter.Not(new Filter.KeywordIn("category", ["x"])),
        "keyword_in" => new Filter.KeywordIn("category", ["shoes", "", "é ü 鞋"]),
        "number_in" => new Filter.NumberIn("year", [2023, -0.5, 1e300, double.Epsilon]),
        "range_closed" => new Filter.NumberRange("price", 10, true, 100, true),
        "range_open_below" => new Filter.NumberRange("price", null, false, 0.25, false),
        "range_open_above" => new Filter.NumberRange("price", -3, false, null, false),
        "nested" => new Filter.Not(new Filter.Or([new Filter.And([new Filter.Not(new Filter.NumberRange("price", 0, true, 0, true)), new Filter.KeywordIn("category", ["q"])])])),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_node_kind_round_trips_through_the_wire(string kind)
    {
        var filter = Sample(kind);
        byte[] wire = FilterEncoder.ToMessage(filter).ToByteArray();
        var decoded = FilterDecoder.FromMessage(FilterMessage.Parser.ParseFrom(wire), Spec);
        FilterTrees.AssertSame(filter, decoded);
    }

    [Fact]
    public void A_shard_query_without_a_filter_carries_none()
    {
        var message = ShardSearchMessage.Parser.ParseFrom(new ShardSearchMessage { TopK = 3 }.ToByteArray());
        Assert.Null(message.Filter);
    }

    [Theory]
    [InlineData("unknown_field")]
    [InlineData("keyword_on_number")]
    [InlineData("range_on_keyword")]
    [InlineData("empty_and")]
    [InlineData("no_values")]
    [InlineData("no_case")]
    public void A_malformed_message_is_refused(string what)
    {
        var message = what switch
        {
            "unknown_field" => new FilterMessage { KeywordIn = new KeywordInMessage { Field = "colour", Values = { "x" } } },
            "keyword_on_number" => new FilterMessage { KeywordIn = new KeywordInMessage { Field = "price", Values = { "x" } } },
            "range_on_keyword" => new FilterMessage { NumberRange = new NumberRangeMessage { Field = "category", Min = 1 } },
            "empty_and" => new FilterMessage { And = new FilterListMessage() },
            "no_values" => new FilterMessage { NumberIn = new NumberInMessage { Field = "year" } },
            _ => new FilterMessage(),
        };
        var ex = Assert.Throws<MosaicException>(() => FilterDecoder.FromMessage(message, Spec));
        Assert.Equal(ErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("filter", ex.Detail);
    }
}
