using System.Buffers.Binary;
using System.IO.Hashing;

namespace Mosaic.Index.Storage;

/// <summary>Buffered little-endian writer that hashes (XxHash64) everything it writes, for the index file's trailer.</summary>
internal sealed class HashingWriter(Stream stream, int bufferBytes = 1 << 20)
{
    private readonly byte[] _buffer = new byte[bufferBytes];
    private readonly XxHash64 _hash = new();
    private int _used;
    private long _written;

    /// <summary>Bytes written so far, the trailer included once <see cref="Finish"/> ran.</summary>
    public long BytesWritten => _written + _used;

    public void WriteInt32(int value)
    {
        Reserve(4);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_used), value);
        _used += 4;
    }

    public void WriteInt64(long value)
    {
        Reserve(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_used), value);
        _used += 8;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            Reserve(1);
            int n = Math.Min(bytes.Length, _buffer.Length - _used);
            bytes[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            bytes = bytes[n..];
        }
    }

    /// <summary>Flushes, then writes the hash of everything so far (not itself hashed).</summary>
    public void Finish()
    {
        Flush();
        Span<byte> digest = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(digest, _hash.GetCurrentHashAsUInt64());
        stream.Write(digest);
        stream.Flush();
        _written += digest.Length;
    }

    /// <summary>Writes out what is buffered (and hashes it) without a trailer: for a writer that fills a chunk in memory.</summary>
    public void Flush()
    {
        _hash.Append(_buffer.AsSpan(0, _used));
        stream.Write(_buffer, 0, _used);
        _written += _used;
        _used = 0;
    }

    private void Reserve(int bytes)
    {
        if (_used + bytes > _buffer.Length)
        {
            Flush();
        }
    }
}
