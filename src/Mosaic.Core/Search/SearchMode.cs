namespace Mosaic.Core.Search;

/// <summary>Which ranked lists a search computes.</summary>
public enum SearchMode
{
    Vector,
    Keyword,
    Hybrid,
}
