using Microsoft.Data.Sqlite;
using Mosaic.Core.Changes;
using Mosaic.Core.Documents;

namespace Mosaic.Worker.Shards;

/// <summary>The shard file's one writer connection with the statements of an apply prepared once; used by the replica's loop only.</summary>
internal sealed class ShardWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand[] _all;
    private readonly SqliteCommand _find, _insert, _update, _delete, _ftsDelete, _ftsInsert, _mark;
    private readonly SqliteParameter _fId, _iId, _iSlot, _iSeq, _iV, _iF, _uSlot, _uSeq, _uV, _uF, _uR, _dR, _fdR, _fiR, _fiT, _mS, _mQ;

    public ShardWriter(SqliteConnection connection)
    {
        _connection = connection;
        _find = Create("SELECT rowid, slot FROM docs WHERE doc_id = $id");
        _fId = _find.Parameters.Add("$id", SqliteType.Text);
        _insert = Create("INSERT INTO docs(doc_id, slot, seq, vector, fields) VALUES ($id, $slot, $seq, $v, $f) RETURNING rowid");
        _iId = _insert.Parameters.Add("$id", SqliteType.Text);
        _iSlot = _insert.Parameters.Add("$slot", SqliteType.Integer);
        _iSeq = _insert.Parameters.Add("$seq", SqliteType.Integer);
        _iV = _insert.Parameters.Add("$v", SqliteType.Blob);
        _iF = _insert.Parameters.Add("$f", SqliteType.Text);
        _update = Create("UPDATE docs SET slot = $slot, seq = $seq, vector = $v, fields = $f WHERE rowid = $r");
        _uSlot = _update.Parameters.Add("$slot", SqliteType.Integer);
        _uSeq = _update.Parameters.Add("$seq", SqliteType.Integer);
        _uV = _update.Parameters.Add("$v", SqliteType.Blob);
        _uF = _update.Parameters.Add("$f", SqliteType.Text);
        _uR = _update.Parameters.Add("$r", SqliteType.Integer);
        _delete = Create("DELETE FROM docs WHERE rowid = $r");
        _dR = _delete.Parameters.Add("$r", SqliteType.Integer);
        _ftsDelete = Create("DELETE FROM fts WHERE rowid = $r");
        _fdR = _ftsDelete.Parameters.Add("$r", SqliteType.Integer);
        _ftsInsert = Create("INSERT INTO fts(rowid, text) VALUES ($r, $t)");
        _fiR = _ftsInsert.Parameters.Add("$r", SqliteType.Integer);
        _fiT = _ftsInsert.Parameters.Add("$t", SqliteType.Text);
        _mark = Create("INSERT INTO applied(slot, seq) VALUES ($s, $q) ON CONFLICT(slot) DO UPDATE SET seq = excluded.seq");
        _mS = _mark.Parameters.Add("$s", SqliteType.Integer);
        _mQ = _mark.Parameters.Add("$q", SqliteType.Integer);
        _all = [_find, _insert, _update, _delete, _ftsDelete, _ftsInsert, _mark];
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
                    _fdR.Value = existing;
                    _ftsDelete.ExecuteNonQuery();
                    applied.Add(new AppliedChange(existing, change.DocId, change.Seq, Deleted: true, null, null));
                }
            }
            else
            {
                var doc = change.Document;
                object vector = doc.Vector is null ? DBNull.Value : VectorCodec.ToBytes(doc.Vector);
                object fields = (object?)doc.FieldsJson ?? DBNull.Value;
                long target;
                if (rowid is long existing)
                {
                    (_uSlot.Value, _uSeq.Value, _uV.Value, _uF.Value, _uR.Value) = (change.Slot, change.Seq, vector, fields, existing);
                    _update.ExecuteNonQuery();
                    _fdR.Value = existing;
                    _ftsDelete.ExecuteNonQuery();
                    target = existing;
                }
                else
                {
                    (_iId.Value, _iSlot.Value, _iSeq.Value, _iV.Value, _iF.Value) = (change.DocId, change.Slot, change.Seq, vector, fields);
                    target = (long)_insert.ExecuteScalar()!;
                }

                if (!string.IsNullOrEmpty(doc.Text))
                {
                    (_fiR.Value, _fiT.Value) = (target, doc.Text);
                    _ftsInsert.ExecuteNonQuery();
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
