using Mosaic.Contracts.Rpc;
using Mosaic.Core.Collections;
using Mosaic.Core.Errors;
using Mosaic.Core.Search;

namespace Mosaic.Worker.Rpc;

/// <summary>The <see cref="Filter"/> a shard query's <see cref="FilterMessage"/> carries (the coordinator's <c>FilterEncoder</c>, inverted).</summary>
/// <remarks>
/// The coordinator validated the filter against the collection; the worker checks again that every field is declared
/// with the type its condition needs, so that a malformed message is refused instead of reaching the row table.
/// </remarks>
public static class FilterDecoder
{
    /// <exception cref="MosaicException">The message is not a filter over <paramref name="spec"/>'s fields.</exception>
    public static Filter FromMessage(FilterMessage message, CollectionSpec spec) => message.NodeCase switch
    {
        FilterMessage.NodeOneofCase.And => new Filter.And(List(message.And, spec, "and")),
        FilterMessage.NodeOneofCase.Or => new Filter.Or(List(message.Or, spec, "or")),
        FilterMessage.NodeOneofCase.Not => new Filter.Not(FromMessage(message.Not, spec)),
        FilterMessage.NodeOneofCase.KeywordIn => new Filter.KeywordIn(
            Field(message.KeywordIn.Field, FieldType.Keyword, spec), NonEmpty(message.KeywordIn.Values, message.KeywordIn.Field)),
        FilterMessage.NodeOneofCase.NumberIn => new Filter.NumberIn(
            Field(message.NumberIn.Field, FieldType.Number, spec), NonEmpty(message.NumberIn.Values, message.NumberIn.Field)),
        FilterMessage.NodeOneofCase.NumberRange => Range(message.NumberRange, spec),
        _ => throw MosaicException.Invalid("filter: a filter node with no condition"),
    };

    private static List<Filter> List(FilterListMessage list, CollectionSpec spec, string op) =>
        list.Items.Count == 0
            ? throw MosaicException.Invalid($"filter.{op}: an empty list")
            : list.Items.Select(item => FromMessage(item, spec)).ToList();

    private static Filter.NumberRange Range(NumberRangeMessage range, CollectionSpec spec) => new(
        Field(range.Field, FieldType.Number, spec),
        range.HasMin ? range.Min : null,
        range.MinInclusive,
        range.HasMax ? range.Max : null,
        range.MaxInclusive);

    private static string Field(string field, FieldType type, CollectionSpec spec) =>
        spec.Fields.TryGetValue(field, out var declared) && declared == type
            ? field
            : throw MosaicException.Invalid($"filter: '{field}' is not a {type.ToString().ToLowerInvariant()} field of collection '{spec.Name}'");

    private static List<T> NonEmpty<T>(IReadOnlyList<T> values, string field) =>
        values.Count == 0 ? throw MosaicException.Invalid($"filter: no values for '{field}'") : [.. values];
}
