using Microsoft.Data.Sqlite;

namespace Mosaic.Store.Sqlite;

/// <summary>The statements a group commit runs per document, prepared once on the writer connection and reused by every
/// group (Microsoft.Data.Sqlite keeps a command's prepared statement across executions).</summary>
/// <remarks>
/// Preparing them per write cost five SQL parses per single PUT, all under the write gate that serializes commits.
/// Lives and dies with the writer connection; used only under the write gate.
/// </remarks>
internal sealed class GroupStatements : IDisposable
{
    private readonly SqliteCommand[] _all;

    public GroupStatements(SqliteConnection connection)
    {
        Head = Create(connection, "SELECT seq FROM slot_seqs WHERE collection_id = $c AND slot = $s");
        HeadCollection = Head.Parameters.Add("$c", SqliteType.Integer);
        HeadSlot = Head.Parameters.Add("$s", SqliteType.Integer);

        Upsert = Create(connection, """
            INSERT INTO docs(collection_id, doc_id, slot, seq, text, vector, fields) VALUES ($c, $id, $slot, $seq, $text, $vector, $fields)
            ON CONFLICT(collection_id, doc_id) DO UPDATE SET seq = excluded.seq, text = excluded.text, vector = excluded.vector, fields = excluded.fields
            WHERE docs.slot = excluded.slot
            """);
        UpsertCollection = Upsert.Parameters.Add("$c", SqliteType.Integer);
        UpsertId = Upsert.Parameters.Add("$id", SqliteType.Text);
        UpsertSlot = Upsert.Parameters.Add("$slot", SqliteType.Integer);
        UpsertSeq = Upsert.Parameters.Add("$seq", SqliteType.Integer);
        UpsertText = Upsert.Parameters.Add("$text", SqliteType.Text);
        UpsertVector = Upsert.Parameters.Add("$vector", SqliteType.Blob);
        UpsertFields = Upsert.Parameters.Add("$fields", SqliteType.Text);

        // A delete logs in the slot the row has (with a routing key, that is not the id's hash).
        Delete = Create(connection, "DELETE FROM docs WHERE collection_id = $c AND doc_id = $id RETURNING slot");
        DeleteCollection = Delete.Parameters.Add("$c", SqliteType.Integer);
        DeleteId = Delete.Parameters.Add("$id", SqliteType.Text);

        Log = Create(connection, "INSERT INTO changes(collection_id, slot, seq, doc_id, op) VALUES ($c, $slot, $seq, $id, $op)");
        LogCollection = Log.Parameters.Add("$c", SqliteType.Integer);
        LogSlot = Log.Parameters.Add("$slot", SqliteType.Integer);
        LogSeq = Log.Parameters.Add("$seq", SqliteType.Integer);
        LogId = Log.Parameters.Add("$id", SqliteType.Text);
        LogOp = Log.Parameters.Add("$op", SqliteType.Integer);

        Bump = Create(connection, """
            INSERT INTO slot_seqs(collection_id, slot, seq) VALUES ($c, $slot, $seq)
            ON CONFLICT(collection_id, slot) DO UPDATE SET seq = excluded.seq
            """);
        BumpCollection = Bump.Parameters.Add("$c", SqliteType.Integer);
        BumpSlot = Bump.Parameters.Add("$slot", SqliteType.Integer);
        BumpSeq = Bump.Parameters.Add("$seq", SqliteType.Integer);

        // Each write of a group runs in its own savepoint; SqliteTransaction.Save/Release would parse these every time.
        Save = Create(connection, "SAVEPOINT w");
        Release = Create(connection, "RELEASE w");

        _all = [Head, Upsert, Delete, Log, Bump, Save, Release];
    }

    public SqliteCommand Head { get; }
    public SqliteParameter HeadCollection { get; }
    public SqliteParameter HeadSlot { get; }

    public SqliteCommand Upsert { get; }
    public SqliteParameter UpsertCollection { get; }
    public SqliteParameter UpsertId { get; }
    public SqliteParameter UpsertSlot { get; }
    public SqliteParameter UpsertSeq { get; }
    public SqliteParameter UpsertText { get; }
    public SqliteParameter UpsertVector { get; }
    public SqliteParameter UpsertFields { get; }

    public SqliteCommand Delete { get; }
    public SqliteParameter DeleteCollection { get; }
    public SqliteParameter DeleteId { get; }

    public SqliteCommand Log { get; }
    public SqliteParameter LogCollection { get; }
    public SqliteParameter LogSlot { get; }
    public SqliteParameter LogSeq { get; }
    public SqliteParameter LogId { get; }
    public SqliteParameter LogOp { get; }

    public SqliteCommand Bump { get; }
    public SqliteParameter BumpCollection { get; }
    public SqliteParameter BumpSlot { get; }
    public SqliteParameter BumpSeq { get; }

    public SqliteCommand Save { get; }
    public SqliteCommand Release { get; }

    /// <summary>Every statement runs in this group's transaction.</summary>
    public void Enlist(SqliteTransaction transaction)
    {
        foreach (var command in _all)
        {
            command.Transaction = transaction;
        }
    }

    public void Dispose()
    {
        foreach (var command in _all)
        {
            command.Dispose();
        }
    }

    private static SqliteCommand Create(SqliteConnection connection, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        return command;
    }
}
