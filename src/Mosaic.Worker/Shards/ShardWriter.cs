using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Documents;

namespace Mosaic.Worker.Shards;

/// <summary>The shard file's one writer connection with the statements of an apply prepared once; used by the replica's loop only.</summary>
internal sealed class ShardWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand[] _all;
    private readonly SqliteCommand _find, _insert, _update, _delete, _mark;
    private readonly SqliteParameter _fId, _iId, _iSlot, _iSeq, _iF, _iT, _iV, _uSlot, _uSeq, _uF, _uT, _uV, _uR, _dR, _mS, _mQ;

    public ShardWriter(SqliteConnection connection)
    {
        _connection = connection;
        _find = Create("SELECT rowid, slot FROM docs WHERE doc_id = $id");
        _fId = _find.Parameters.Add("$id", SqliteType.Text);
        _insert = Create("INSERT INTO docs(doc_id, slot, seq, fields, text, vector) VALUES ($id, $slot, $seq, $f, $t, $v) RETURNING rowid");
        _iId = _insert.Parameters.Add("$id", SqliteType.Text);
        _iSlot = _insert.Parameters.Add("$slot", SqliteType.Integer);
        _iSeq = _insert.Parameters.Add("$seq", SqliteType.Integer);
        _iF = _insert.Parameters.Add("$f", SqliteType.Text);
        _iT = _insert.Parameters.Add("$t", SqliteType.Text);
        _iV = _insert.Parameters.Add("$v", SqliteType.Blob);
        _update = Create("UPDATE docs SET slot = $slot, seq = $seq, fields = $f, text = $t, vector = $v WHERE rowid = $r");
        _uSlot = _update.Parameters.Add("$slot", SqliteType.Integer);
        _uSeq = _update.Parameters.Add("$seq", SqliteType.Integer);
        _uF = _update.Parameters.Add("$f", SqliteType.Text);
        _uT = _update.Parameters.Add("$t", SqliteType.Text);
        _uV = _update.Parameters.Add("$v", SqliteType.Blob);
        _uR = _update.Parameters.Add("$r", SqliteType.Integer);
        _delete = Create("DELETE FROM docs WHERE rowid = $r");
        _dR = _delete.Parameters.Add("$r", SqliteType.Integer);
        _mark = Create("INSERT INTO applied(slot, seq) VALUES ($s, $q) ON CONFLICT(slot) DO UPDATE SET seq = excluded.seq");
        _mS = _mark.Parameters.Add("$s", SqliteType.Integer);
        _mQ = _mark.Parameters.Add("$q", SqliteType.Integer);
        _all = [_find, _insert, _update, _delete, _mark];
    }

    /// <inheritdoc cref="ShardFile.Apply"/>
    public List<AppliedChange> Apply(IReadOnlyList<ChangeRecord> changes, IReadOnlyDictionary<int, long>? markApplied)
    {
        using var transaction = _connection.BeginTransaction();
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }

        var applied = new List<AppliedChange>(changes.Count);
        var lastSeq = new Dictionary<int, long>();
        foreach (var change in changes)
        {
            _fId.Value = change.DocId;
            long? rowid = null;
            int? copySlot = null;
            using (var found = _find.ExecuteReader())
            {
                if (found.Read())
                {
                    (rowid, copySlot) = (found.GetInt64(0), found.GetInt32(1));
                }
            }

            if (change.Kind == ChangeKind.Delete || change.Document is null)
            {
                // A delete from slot s removes the copy only if it came from s: with a routing key, a document deleted
                // in s may already be back from another slot whose change this batch applied first (seq 0: a bootstrap's
                // removal of what is gone, from any slot).
                if (rowid is long existing && (copySlot == change.Slot || change.Seq == 0))
                {
                    _dR.Value = existing;
                    _delete.ExecuteNonQuery();
                    applied.Add(new AppliedChange(existing, change.DocId, change.Seq, Deleted: true, null, null));
                }
            }
            else
            {
                var doc = change.Document;
                object vector = doc.Vector is null ? DBNull.Value : VectorCodec.ToBytes(doc.Vector);
                object fields = (object?)doc.FieldsJson ?? DBNull.Value;
                // An empty text is stored as NULL: a payload then has no text, as it had when FTS5 held the texts.
                object text = string.IsNullOrEmpty(doc.Text) ? DBNull.Value : doc.Text;
                long target;
                if (rowid is long existing)
                {
                    (_uSlot.Value, _uSeq.Value, _uF.Value, _uT.Value, _uV.Value, _uR.Value) = (change.Slot, change.Seq, fields, text, vector, existing);
                    _update.ExecuteNonQuery();
                    target = existing;
                }
                else
                {
                    (_iId.Value, _iSlot.Value, _iSeq.Value, _iF.Value, _iT.Value, _iV.Value) = (change.DocId, change.Slot, change.Seq, fields, text, vector);
                    target = (long)_insert.ExecuteScalar()!;
                }

                applied.Add(new AppliedChange(target, change.DocId, change.Seq, Deleted: false, doc.Vector, doc.FieldsJson, doc.Text));
            }

            lastSeq[change.Slot] = change.Seq;
        }

        foreach (var (slot, seq) in markApplied ?? lastSeq)
        {
            (_mS.Value, _mQ.Value) = (slot, seq);
            _mark.ExecuteNonQuery();
        }

        transaction.Commit();
        return applied;
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }

        _connection.Dispose();
    }

    private SqliteCommand Create(string sql)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
