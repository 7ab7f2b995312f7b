using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Mosaic.Index;

namespace Mosaic.Worker.Shards;

/// <summary>Full-precision vectors read from the shard file, for rescoring a quantized graph's candidates.</summary>
/// <remarks>
/// The float vectors of a quantized collection live only here (the graph keeps codes): a search rescores a few
/// dozen candidates by rowid on the connection it already holds, through one prepared statement.
/// </remarks>
internal sealed class ShardVectorSource(SqliteConnection connection) : IVectorSource, IDisposable
{
    private readonly SqliteCommand _command = Prepare(connection);

    public bool TryRead(long label, Span<float> destination)
    {
        _command.Parameters[0].Value = label;
        if (_command.ExecuteScalar() is not byte[] bytes || bytes.Length != destination.Length * sizeof(float))
        {
            return false;
        }

        MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
        return true;
    }

    public void Dispose() => _command.Dispose();

    private static SqliteCommand Prepare(SqliteConnection connection)
    {
        var command = connection.CreateCommand();
        command.CommandText = "SELECT vector FROM docs WHERE rowid = $r";
        command.Parameters.Add("$r", SqliteType.Integer);
        command.Prepare();
        return command;
    }
}
