using Mosaic.Load;

namespace Mosaic.LoadGen.Load;

/// <summary>One load run, as given on the command line (already range-checked).</summary>
internal sealed record LoadSettings(
    Uri Url,
    string Collection,
    FileInfo Queries,
    string Mode,
    LoadShape Shape,
    QueryOrder Order,
    int Seed,
    int TopK,
    string[]? Include,
    string? Filter,
    int? EfSearch,
    TimeSpan Timeout,
    string Label,
    FileInfo? Json);
