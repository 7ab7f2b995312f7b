using System.Buffers;
using Mosaic.Coordinator.Caching;
using Mosaic.Coordinator.Reads;
using Mosaic.Core.Search;
using Xunit;

namespace Mosaic.Tests.Coordinator;

/// <summary>The size the result cache checks against its largest entry is exactly what the serializer writes.</summary>
public sealed class CachedAnswerSerializerTests
{
    public static TheoryData<string> Answers() => ["empty", "ids only", "payloads", "multibyte and long", "lone surrogate"];

    [Theory]
    [MemberData(nameof(Answers))]
    public void SizeOf_IsTheSerializedLength_AndTheAnswerReadsBack(string name)
    {
        var answer = Make(name);
        var written = new ArrayBufferWriter<byte>();
        new CachedAnswerSerializer().Serialize(new CachedAnswer(answer), written);

        Assert.Equal(written.WrittenCount, CachedAnswerSerializer.SizeOf(answer));
        var back = new CachedAnswerSerializer().Deserialize(new ReadOnlySequence<byte>(written.WrittenMemory)).Answer;
        // As UTF-8 carries them: a lone surrogate (which no request can bring in) reads back as U+FFFD, in as many bytes.
        Assert.Equal(answer.Hits.Select(h => System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(h.Id))), back.Hits.Select(h => h.Id));
    }

    private static SearchAnswer Make(string name)
    {
        ScoredDoc[] hits = name switch
        {
            "empty" => [],
            "ids only" => [new("a", 1f), new("b", 0.5f)],
            "payloads" => [new("a", 1f, "some text", """{"price": 3}""", [0.1f, 0.2f, 0.3f]), new("b", 0.5f, null, null, [])],
            // 200 three-byte characters: a length prefix of two bytes.
            "multibyte and long" => [new(new string('é', 90), 1f, new string('☃', 200), "{}", null)],
            "lone surrogate" => [new("x\ud800", 1f, "y\udc00z")],
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        return new SearchAnswer(hits, 0, 2, 2, [], 1.0);
    }
}
