using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Mosaic.Core.Errors;
using Mosaic.Core.Seams;

namespace Mosaic.Coordinator.Writes;

/// <summary>
/// A write's <c>Idempotency-Key</c> and the request it names: <paramref name="Kind"/> (the endpoint, whose answer has its
/// own shape: one upsert, one delete, or a bulk) and the documents it writes or deletes.
/// </summary>
/// <remarks>
/// The store keeps a key's first answer behind the fingerprint of its request (<see cref="Seal"/>); a later request with
/// the key gets that answer only when it targets the same documents the same way (<see cref="Open"/>). A key reused for
/// another document or kind of write is a 409 that writes nothing, never another request's answer passed off as its
/// own (a delete that deleted nothing, a put of another id never written, a bulk answered without <c>written</c>). The
/// fingerprint is the kind, and each write's id and whether it deletes, in order; not the bodies: a repeat of the key
/// for the same documents answers the first result whatever it carries, as API.md has it. Answers stored before
/// fingerprints carry none and answer any request with their key, as they did.
/// </remarks>
public sealed record IdempotentRequest(string Key, string Kind)
{
    private const char SealMark = '#';

    /// <summary>The stored form of <paramref name="answer"/>: the request's fingerprint, a newline, the answer.</summary>
    public static string Seal(string fingerprint, string answer) => $"{SealMark}{fingerprint}\n{answer}";

    /// <summary>The fingerprint of this key's request carrying <paramref name="writes"/>.</summary>
    public string Fingerprint(IReadOnlyList<DocumentWrite> writes)
    {
        var hash = new XxHash128();
        Add(hash, Kind);
        foreach (var write in writes)
        {
            Add(hash, write.Id);
            Add(hash, write.Document is null ? 0 : 1);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>The answer stored for this key when <paramref name="fingerprint"/> is its request's; a 409 when the key named another request.</summary>
    public string Open(string stored, string fingerprint, string collection)
    {
        if (!stored.StartsWith(SealMark))
        {
            return stored;
        }

        int newline = stored.IndexOf('\n', StringComparison.Ordinal);
        if (newline > 0 && stored.AsSpan(1, newline - 1).SequenceEqual(fingerprint))
        {
            return stored[(newline + 1)..];
        }

        throw new MosaicException(
            ErrorKind.Conflict,
            "idempotency_key_reused",
            $"Idempotency-Key: '{Key}' was first sent in collection '{collection}' for other documents or another kind of write; a key names one request, and its repeats answer that request's result. Send a new key with a new request");
    }

    /// <summary>Adds a string after its length, so that no two sequences of ids hash alike by concatenation.</summary>
    private static void Add(XxHash128 hash, string text)
    {
        Add(hash, text.Length);
        hash.Append(MemoryMarshal.AsBytes(text.AsSpan()));
    }

    private static void Add(XxHash128 hash, int value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        hash.Append(bytes);
    }
}
