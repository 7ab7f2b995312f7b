namespace Mosaic.Core.Search;

/// <summary>A boolean filter over declared fields, as a small immutable tree.</summary>
public abstract record Filter
{
    public sealed record And(IReadOnlyList<Filter> Items) : Filter;

    public sealed record Or(IReadOnlyList<Filter> Items) : Filter;

    public sealed record Not(Filter Item) : Filter;

    /// <summary>Keyword field equals one of <see cref="Values"/>.</summary>
    public sealed record KeywordIn(string Field, IReadOnlyList<string> Values) : Filter;

    /// <summary>Number field equals one of <see cref="Values"/>.</summary>
    public sealed record NumberIn(string Field, IReadOnlyList<double> Values) : Filter;

    /// <summary>Number field within bounds; a null bound is open.</summary>
    public sealed record NumberRange(string Field, double? Min, bool MinInclusive, double? Max, bool MaxInclusive) : Filter;
}
