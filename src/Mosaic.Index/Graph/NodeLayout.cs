namespace Mosaic.Index.Graph;

/// <summary>Byte layout of one node record: the padded vector, a 24-byte header, then the level-0 links.</summary>
/// <remarks>
/// Like hnswlib's data_level0, vector and level-0 neighbour list share one record, so expanding a node whose
/// distance was just computed reads links that sit right after the lines already fetched.
/// Header: count of level-0 links (int), level and flags (int), spin lock (int), offset of the upper-level
/// blocks (int, -1 when level 0), label (long).
/// </remarks>
internal static class NodeLayout
{
    public const int CountOffset = 0;
    public const int FlagsOffset = 4;
    public const int LockOffset = 8;
    public const int UpperOffset = 12;
    public const int LabelOffset = 16;
    public const int HeaderBytes = 24;
    public const int LevelMask = 0xFF;
    public const int DeletedFlag = 0x100;
}
