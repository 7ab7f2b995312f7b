namespace Mosaic.Core.Collections;

/// <summary>The type of a declared, filterable document field.</summary>
public enum FieldType
{
    /// <summary>Exact-match string (eq, in).</summary>
    Keyword,

    /// <summary>Double-precision number (eq, in, gt, gte, lt, lte).</summary>
    Number,
}
