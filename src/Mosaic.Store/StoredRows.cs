using System.Data.Common;
using Mosaic.Core.Changes;
using Mosaic.Core.Documents;
using Mosaic.Core.Placement;

namespace Mosaic.Store;

/// <summary>Reads the rows both stores return in the same column order: change-log entries, documents and node disks.</summary>
internal static class StoredRows
{
    /// <summary>Columns: seq, doc_id, op, text, vector, fields, doc seq, doc exists.</summary>
    public static ChangeRecord Change(DbDataReader reader, int slot)
    {
        string docId = reader.GetString(1);
        bool exists = reader.GetBoolean(7);
        var kind = Convert.ToInt32(reader.GetValue(2)) == 1 || !exists ? ChangeKind.Delete : ChangeKind.Upsert;
        return new ChangeRecord(slot, reader.GetInt64(0), docId, kind, kind == ChangeKind.Upsert ? Document(reader, docId, 3) : null, exists ? reader.GetInt64(6) : 0);
    }

    /// <summary>Columns from <paramref name="first"/>: text, vector, fields.</summary>
    public static Document Document(DbDataReader reader, string id, int first) => new(
        id,
        reader.IsDBNull(first) ? null : reader.GetString(first),
        reader.IsDBNull(first + 1) ? null : VectorCodec.FromBytes((byte[])reader.GetValue(first + 1)),
        reader.IsDBNull(first + 2) ? null : reader.GetString(first + 2));

    /// <summary>Columns from <paramref name="first"/>: disk_free_bytes, disk_total_bytes, disk_floor_bytes; null when the
    /// node reported none.</summary>
    public static NodeDisk? Disk(DbDataReader reader, int first) =>
        reader.IsDBNull(first) || reader.IsDBNull(first + 1) || reader.IsDBNull(first + 2)
            ? null
            : new NodeDisk(reader.GetInt64(first), reader.GetInt64(first + 1), reader.GetInt64(first + 2));
}
