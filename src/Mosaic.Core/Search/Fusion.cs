namespace Mosaic.Core.Search;

/// <summary>How a hybrid search fuses its vector and keyword lists: weighted reciprocal rank fusion.</summary>
/// <param name="K">The rank constant: larger flattens the difference between ranks (Cormack et al. use 60).</param>
/// <param name="VectorWeight">The vector list's weight (0 leaves it out).</param>
/// <param name="KeywordWeight">The keyword list's weight (0 leaves it out).</param>
/// <param name="Window">How deep each list is taken before fusing (at least offset + top_k, the hits the answer reaches;
/// null: that many). A deeper window lets a document ranked moderately in both lists pass one ranked high in only one.</param>
public sealed record Fusion(int K = ResultMerger.RrfK, double VectorWeight = 1, double KeywordWeight = 1, int? Window = null)
{
    public static readonly Fusion Default = new();

    /// <summary>The most a window may be: top_k's own limit.</summary>
    public const int MaxWindow = 1000;

    /// <summary>Hits each list is cut to before fusing, for an answer that reaches <paramref name="hits"/> deep.</summary>
    public int ListDepth(int hits) => Math.Max(hits, Window ?? hits);
}
