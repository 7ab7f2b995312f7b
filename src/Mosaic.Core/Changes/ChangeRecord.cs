using Mosaic.Core.Documents;

namespace Mosaic.Core.Changes;

/// <summary>What a change did to a document.</summary>
public enum ChangeKind
{
    Upsert,
    Delete,
}

/// <summary>One entry of a collection's change log: the <see cref="Seq"/>-th change of <see cref="Slot"/>.</summary>
/// <remarks>
/// Per slot, sequence numbers start at 1 and are gapless. <see cref="Document"/> is the document's current state when
/// the change was read (null for a delete or a document deleted since); applying it is idempotent.
/// </remarks>
public sealed record ChangeRecord(int Slot, long Seq, string DocId, ChangeKind Kind, Document? Document, long DocSeq);
