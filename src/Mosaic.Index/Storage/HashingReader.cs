using System.Buffers.Binary;
using System.IO.Hashing;

namespace Mosaic.Index.Storage;

/// <summary>Buffered little-endian reader that hashes what it reads; a short read is an <see cref="InvalidDataException"/>.</summary>
internal sealed class HashingReader(Stream stream, int bufferBytes = 1 << 20)
{
    private readonly byte[] _buffer = new byte[bufferBytes];
    private readonly XxHash64 _hash = new();
    private int _start;
    private int _end;
    private long _hashed;

    /// <summary>Bytes consumed so far (the trailer included once verified).</summary>
    public long BytesRead => _hashed + _start;

    public int ReadInt32()
    {
        Fill(4);
        int value = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start));
        _start += 4;
        return value;
    }

    public long ReadInt64()
    {
        Fill(8);
        long value = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start));
        _start += 8;
        return value;
    }

    public void ReadBytes(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            Fill(1);
            int n = Math.Min(destination.Length, _end - _start);
            _buffer.AsSpan(_start, n).CopyTo(destination);
            _start += n;
            destination = destination[n..];
        }
    }

    /// <summary>Reads the trailer and checks it against the hash of everything read before it.</summary>
    public void VerifyTrailer()
    {
        _hash.Append(_buffer.AsSpan(0, _start));
        _hashed += _start;
        ulong actual = _hash.GetCurrentHashAsUInt64();
        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _end -= _start;
        _start = 0;
        while (_end < 8)
        {
            int n = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                throw new InvalidDataException("index file is truncated (no checksum)");
            }

            _end += n;
        }

        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(_buffer);
        _start = 8;
        if (expected != actual)
        {
            throw new InvalidDataException("index file checksum mismatch (corrupt)");
        }
    }

    private void Fill(int bytes)
    {
        if (_end - _start >= bytes)
        {
            return;
        }

        // Hash what was consumed, keep the unread tail, refill behind it.
        _hash.Append(_buffer.AsSpan(0, _start));
        _hashed += _start;
        _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
        _end -= _start;
        _start = 0;
        while (_end < bytes)
        {
            int n = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0)
            {
                throw new InvalidDataException("index file is truncated");
            }

            _end += n;
        }
    }
}
