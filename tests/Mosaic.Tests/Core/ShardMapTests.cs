using Mosaic.Core.Errors;
using Mosaic.Core.Sharding;
using Mosaic.Core.Slots;
using Xunit;

namespace Mosaic.Tests.Core;

public sealed class ShardMapTests
{
    [Fact]
    public void A_split_builds_two_children_with_new_ids_then_switches_and_retires_the_parent()
    {
        var map = ShardMap.Even(2);
        var started = map.BeginSplit(1);
        Assert.Equal(2, started.Version);
        var children = started.ChildrenOf(1).ToList();
        Assert.Equal([2, 3], children.Select(c => c.Id));
        Assert.Equal([new SlotRange(512, 768), new SlotRange(768, 1024)], children.Select(c => c.Range));
        Assert.All(children, c => Assert.Equal(ShardState.Building, c.State));
        // While the children build, searches still go to the parent: the serving set is unchanged.
        Assert.Equal([0, 1], started.Serving.Select(s => s.Id));
        Assert.Equal(1, started.ShardOf(700).Id);

        var switched = started.CompleteSplit(1);
        Assert.Equal(3, switched.Version);
        Assert.Equal([0, 2, 3], switched.Serving.Select(s => s.Id));
        Assert.Equal(ShardState.Draining, switched.Find(1)!.State);
        Assert.Equal(2, switched.ShardOf(700).Id);
        Assert.Equal(3, switched.ShardOf(1023).Id);

        var retired = switched.Retire(1);
        Assert.Equal(ShardState.Retired, retired.Find(1)!.State);
        Assert.DoesNotContain(retired.Held, s => s.Id == 1);
        // Ids are never reused: the next split of shard 0 makes 4 and 5.
        Assert.Equal([4, 5], retired.BeginSplit(0).ChildrenOf(0).Select(c => c.Id));
    }

    [Fact]
    public void Splits_that_cannot_happen_are_refused_with_the_reason()
    {
        var map = ShardMap.Even(1024);
        Assert.Equal(ErrorKind.Conflict, Assert.Throws<MosaicException>(() => map.BeginSplit(5)).Kind);
        Assert.Equal(ErrorKind.NotFound, Assert.Throws<MosaicException>(() => ShardMap.Even(2).BeginSplit(7)).Kind);
        var splitting = ShardMap.Even(2).BeginSplit(0);
        Assert.Contains("already splitting", Assert.Throws<MosaicException>(() => splitting.BeginSplit(0)).Message);
        Assert.Contains("building", Assert.Throws<MosaicException>(() => splitting.BeginSplit(2)).Message);
    }

    [Fact]
    public void A_map_whose_serving_shards_do_not_tile_the_slots_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => new ShardMap(1, [new ShardInfo(0, new SlotRange(0, 512), ShardState.Serving)]));
        Assert.Throws<InvalidDataException>(() => new ShardMap(1, [
            new ShardInfo(0, new SlotRange(0, 600), ShardState.Serving),
            new ShardInfo(1, new SlotRange(512, 1024), ShardState.Serving)]));
        Assert.Throws<InvalidDataException>(() => new ShardMap(1, [
            new ShardInfo(0, new SlotRange(0, 512), ShardState.Serving),
            new ShardInfo(0, new SlotRange(512, 1024), ShardState.Serving)]));
    }
}
