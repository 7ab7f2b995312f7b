using Mosaic.Core.Sharding;
using Mosaic.Core.Slots;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class SlotTests
{
    [Theory]
    [InlineData("shoes", "d1", 596)]
    [InlineData("shoes", "d2", 519)]
    [InlineData("a", "b", 193)]
    public void Slot_of_a_document_is_pinned(string collection, string id, int slot)
    {
        // Computed by an independent xxHash64 (Python) over "collection\0id". If these change, every existing shard
        // file, change log and consistency token would be routed wrongly.
        Assert.Equal(slot, SlotHasher.SlotOf(collection, id));
        Assert.NotEqual(SlotHasher.SlotOf("ab", "c"), SlotHasher.SlotOf("a", "bc"));
    }

    [Theory]
    [InlineData("shoes", "d1", 596)] // 8 bytes: one 8-byte lane
    [InlineData("a", "b", 193)] // 3 bytes: byte tail only
    [InlineData("abcd", "efghijk", 97)] // 12 bytes: 8-byte lane + 4-byte tail
    [InlineData("c", "", 880)] // empty id
    [InlineData("café", "naïve-日本", 463)] // UTF-8, 19 bytes
    [InlineData("products", "sku-000000000001", 267)] // 25 bytes: three lanes + byte tail
    [InlineData("q", "1234567890123456789012345678901", 618)] // 33 bytes: one 32-byte stripe + byte tail
    [InlineData("collection_with_a_long_name", "document-identifier-of-forty-bytes-0001", 559)] // 67 bytes: stripes + tails
    [InlineData("x", "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", 337)] // 72 bytes: two stripes + lane
    public void Slot_hash_matches_xxhash64_of_collection_nul_id(string collection, string id, int slot)
    {
        // Expected = XXH64(UTF-8 collection + "\0" + UTF-8 id, seed 0) mod 1024, computed outside .NET by a plain
        // Python transcription of the xxHash64 spec (checked against the spec's vectors: XXH64("") = 0xEF46DB3751D8E999,
        // XXH64("a") = 0xD24EC4F1A98C6E5B, XXH64("abc") = 0x44BC2CF5AD770999). The inputs cover each tail path of the
        // algorithm (32-byte stripes, 8-byte lanes, a 4-byte word, single bytes) and non-ASCII text.
        Assert.Equal(slot, SlotHasher.SlotOf(collection, id));
    }

    [Fact]
    public void Slots_spread_evenly_over_ids()
    {
        var counts = new int[SlotHasher.SlotCount];
        for (int i = 0; i < 102_400; i++)
        {
            counts[SlotHasher.SlotOf("c", "doc-" + i)]++;
        }

        // Expected 100 per slot; a fair hash stays well within ±50 for every slot.
        Assert.InRange(counts.Min(), 50, 100);
        Assert.InRange(counts.Max(), 100, 150);
    }

    [Fact]
    public void Long_ids_hash_without_stack_overflow()
    {
        string id = new('x', 100_000);
        Assert.InRange(SlotHasher.SlotOf("c", id), 0, SlotHasher.SlotCount - 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1024)]
    public void Even_shard_map_covers_every_slot_exactly_once(int shards)
    {
        var map = ShardMap.Even(shards);
        Assert.Equal(shards, map.Serving.Count);
        Assert.Equal(Enumerable.Range(0, shards), map.Serving.Select(s => s.Id));
        Assert.Equal(0, map.Serving[0].Range.Start);
        Assert.Equal(SlotHasher.SlotCount, map.Serving[^1].Range.End);
        for (int s = 1; s < shards; s++)
        {
            Assert.Equal(map.Serving[s - 1].Range.End, map.Serving[s].Range.Start);
        }

        for (int slot = 0; slot < SlotHasher.SlotCount; slot++)
        {
            var shard = map.ShardOf(slot);
            Assert.True(shard.Range.Contains(slot), $"slot {slot} routed to shard {shard.Id} {shard.Range}");
        }
    }
}
