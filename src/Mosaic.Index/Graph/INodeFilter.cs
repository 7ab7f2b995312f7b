namespace Mosaic.Index.Graph;

/// <summary>Which visited nodes may enter the result set; structs so the unfiltered search compiles the check away.</summary>
internal unsafe interface INodeFilter
{
    /// <summary>True when results are restricted (then the search keeps going until it holds ef allowed nodes).</summary>
    static abstract bool Restricts { get; }

    bool Allows(byte* header);
}

/// <summary>Every node qualifies: construction, and searches of an index with no tombstones and no filter.</summary>
internal readonly unsafe struct AnyNode : INodeFilter
{
    public static bool Restricts => false;

    public bool Allows(byte* header) => true;
}

/// <summary>Live nodes whose label the caller's filter allows.</summary>
internal readonly unsafe struct LiveNode(ILabelFilter? filter) : INodeFilter
{
    public static bool Restricts => true;

    public bool Allows(byte* header) =>
        !NodeLayout.IsDeleted(header) && (filter is null || filter.Allows(*(long*)(header + NodeLayout.LabelOffset)));
}
