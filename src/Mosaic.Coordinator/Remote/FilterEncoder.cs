using Mosaic.Contracts.Rpc;
using Mosaic.Core.Search;

namespace Mosaic.Coordinator.Remote;

/// <summary>A <see cref="Filter"/> as the <see cref="FilterMessage"/> tree a shard query carries over gRPC.</summary>
/// <remarks>The worker's <c>FilterDecoder</c> is the inverse; a test round-trips every node kind through both.</remarks>
public static class FilterEncoder
{
    public static FilterMessage ToMessage(Filter filter) => filter switch
    {
        Filter.And and => new FilterMessage { And = List(and.Items) },
        Filter.Or or => new FilterMessage { Or = List(or.Items) },
        Filter.Not not => new FilterMessage { Not = ToMessage(not.Item) },
        Filter.KeywordIn k => new FilterMessage { KeywordIn = new KeywordInMessage { Field = k.Field, Values = { k.Values } } },
        Filter.NumberIn n => new FilterMessage { NumberIn = new NumberInMessage { Field = n.Field, Values = { n.Values } } },
        Filter.NumberRange r => new FilterMessage { NumberRange = Range(r) },
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter.GetType().Name),
    };

    private static FilterListMessage List(IReadOnlyList<Filter> items)
    {
        var list = new FilterListMessage();
        foreach (var item in items)
        {
            list.Items.Add(ToMessage(item));
        }

        return list;
    }

    private static NumberRangeMessage Range(Filter.NumberRange range)
    {
        var message = new NumberRangeMessage { Field = range.Field, MinInclusive = range.MinInclusive, MaxInclusive = range.MaxInclusive };
        if (range.Min is double min)
        {
            message.Min = min;
        }

        if (range.Max is double max)
        {
            message.Max = max;
        }

        return message;
    }
}
