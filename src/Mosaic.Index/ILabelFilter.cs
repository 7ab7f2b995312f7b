namespace Mosaic.Index;

/// <summary>Decides which labels a filtered search may return.</summary>
/// <remarks>
/// Called from the search hot path, possibly from several threads at once: implementations must be thread-safe,
/// allocation-free and fast (a bitmap or hash-set lookup). Traversal still walks through disallowed nodes.
/// </remarks>
public interface ILabelFilter
{
    bool Allows(long label);
}
