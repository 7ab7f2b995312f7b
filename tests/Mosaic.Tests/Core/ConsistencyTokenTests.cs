using Mosaic.Core.Consistency;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class ConsistencyTokenTests
{
    [Fact]
    public void Token_round_trips()
    {
        var token = new ConsistencyToken(42, new Dictionary<int, long> { [0] = 1, [513] = 99, [1023] = long.MaxValue });
        Assert.True(ConsistencyToken.TryParse(token.Encode(), out var parsed));
        Assert.Equal(42, parsed!.CollectionId);
        Assert.Equal(token.SlotSeqs.OrderBy(p => p.Key), parsed.SlotSeqs.OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a token!")]
    [InlineData("AAAA")]
    [InlineData("AQEAAAAAAAAAAQBUAgEAAAAAAAA")]
    public void Malformed_tokens_are_rejected(string text) => Assert.False(ConsistencyToken.TryParse(text, out _));

    [Fact]
    public void Token_with_out_of_range_slot_is_rejected()
    {
        var bytes = Convert.FromBase64String(PadBase64(new ConsistencyToken(1, new Dictionary<int, long> { [5] = 3 }).Encode()));
        bytes[11] = 0xFF;
        bytes[12] = 0xFF;
        string forged = Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.False(ConsistencyToken.TryParse(forged, out _));
    }

    private static string PadBase64(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + (4 - s.Length % 4) % 4, '=');
    }
}
