using FuncRec.Core.Features;

namespace FuncRec.Serving.UnitTests;

public sealed class ItemCatalogTests
{
    [Fact]
    public void An_item_added_after_export_is_scorable_and_recommendable()
    {
        var world = RandomWorld.Create(21, 16);
        using var scorer = new OnnxScorer(world.Export(), world.Model);
        var catalog = world.BuildCatalog();
        var user = world.RandomRequestUser();

        // A user whose online vector points at the new item's features: the new item must then rank first.
        var (newItem, online) = Enumerable.Range(0, 50)
            .Select(i => world.RandomItem($"arrived-after-export-{i}"))
            .Select(item => (Item: item, Online: Scale(ItemVector(world, item), 4f)))
            .First(pair => BeatsTheCatalog(world, user, pair.Online, pair.Item));
        var expected = world.ReferenceScores(user, online, 0f, [newItem])[0];

        var index = catalog.Upsert(newItem);
        var snapshot = catalog.Current;
        var top = scorer.TopK(user, online, 0f, snapshot, 5);
        var score = scorer.ScoreCandidates(user, online, 0f, snapshot, [index]);

        Assert.False(world.Model.Space.TryGetRow(FeatureSide.Item, world.Model.Space.GroupIndex(FeatureSide.Item, "item"), newItem.Id, grow: false, out _));
        Assert.Equal(world.Items.Count, index);
        Assert.Equal(newItem.Id, top[0].Id);
        Assert.Equal(index, top[0].Index);
        Assert.Equal(expected, top[0].Score, 1e-4f);
        Assert.Equal(expected, score[0], 1e-4f);
    }

    [Fact]
    public void Upsert_of_a_known_id_keeps_its_index_and_leaves_older_snapshots_unchanged()
    {
        var world = RandomWorld.Create(22, 8, interactions: 300);
        var catalog = world.BuildCatalog();
        var before = catalog.Current;
        var oldVector = before.VectorOf(5).ToArray();
        var replacement = world.RandomItem(before.IdAt(5));

        var index = catalog.Upsert(replacement);
        var after = catalog.Current;

        Assert.Equal(5, index);
        Assert.Equal(before.Count, after.Count);
        Assert.Equal(oldVector, before.VectorOf(5).ToArray());
        Assert.Equal(ItemVector(world, replacement), after.VectorOf(5).ToArray());
        Assert.Equal(ItemBias(world, replacement), after.BiasOf(5));
    }

    [Fact]
    public void The_catalog_grows_past_its_initial_capacity()
    {
        var world = RandomWorld.Create(23, 8, interactions: 300);
        var catalog = new ItemCatalog(world.Model, new ItemCatalogOptions { InitialCapacity = 2 });
        var first = catalog.UpsertMany(world.Items.Profiles.Take(3));

        foreach (var item in world.Items.Profiles.Skip(3))
        {
            catalog.Upsert(item);
        }

        var snapshot = catalog.Current;
        Assert.Equal(3, first.Count);
        Assert.Equal(world.Items.Count, snapshot.Count);
        for (var i = 0; i < world.Items.Count; i++)
        {
            Assert.Equal(world.Items[i].Id, snapshot.IdAt(i));
            Assert.Equal(i, snapshot.IndexOf(world.Items[i].Id));
            Assert.Equal(ItemVector(world, world.Items[i]), snapshot.VectorOf(i).ToArray());
            Assert.Equal(ItemBias(world, world.Items[i]), snapshot.BiasOf(i));
        }
    }

    [Fact]
    public void Ids_added_one_by_one_past_every_index_rebuild_map_to_their_indices_and_older_snapshots_see_none_of_them()
    {
        var world = RandomWorld.Create(24, 8, interactions: 300);
        var catalog = world.BuildCatalog();
        var initial = catalog.Current;
        var arrivals = Enumerable.Range(0, 2 * ItemIdIndex.MinimumRebuild + 100).Select(i => world.RandomItem($"arrival-{i}")).ToArray();
        var beforeFold = ItemIdIndex.MinimumRebuild / 2;
        var afterFold = ItemIdIndex.MinimumRebuild + 50;
        var kept = new Dictionary<int, ItemCatalogSnapshot>();
        var rebuilds = 0;
        for (var i = 0; i < arrivals.Length; i++)
        {
            var tableBefore = catalog.Current.IndexById.TableCount;
            Assert.Equal(initial.Count + i, catalog.Upsert(arrivals[i]));
            rebuilds += catalog.Current.IndexById.TableCount > tableBefore ? 1 : 0;
            if (i == beforeFold || i == afterFold)
            {
                kept[i] = catalog.Current;
            }
        }

        var last = catalog.Current;
        Assert.Equal(initial.Count, initial.IndexById.TableCount);
        Assert.True(rebuilds >= 2, $"expected the additions to be folded into the table at least twice, saw {rebuilds}");
        Assert.True(kept[afterFold].IndexById.TableCount > initial.Count && kept[afterFold].IndexById.TableCount < kept[afterFold].IndexById.Count,
            "the snapshot kept after the first fold should hold ids in both parts");
        Assert.True(last.IndexById.TableCount < last.IndexById.Count, "the last arrivals should still be in the immutable part");
        for (var i = 0; i < arrivals.Length; i++)
        {
            Assert.Equal(initial.Count + i, last.IndexOf(arrivals[i].Id));
            Assert.Equal(i <= beforeFold ? initial.Count + i : -1, kept[beforeFold].IndexOf(arrivals[i].Id));
            Assert.Equal(i <= afterFold ? initial.Count + i : -1, kept[afterFold].IndexOf(arrivals[i].Id));
            Assert.Equal(-1, initial.IndexOf(arrivals[i].Id));
        }

        for (var i = 0; i < initial.Count; i++)
        {
            Assert.Equal(i, last.IndexOf(initial.IdAt(i)));
        }

        // Replacing an item keeps its index, whichever part of the index holds it.
        Assert.Equal(initial.Count + 3, catalog.Upsert(world.RandomItem(arrivals[3].Id)));
        Assert.Equal(initial.Count + arrivals.Length - 1, catalog.Upsert(world.RandomItem(arrivals[^1].Id)));
        Assert.Equal(last.Count, catalog.Current.Count);

        // A new id twice in one batch takes one index, and the later profile wins.
        var first = world.RandomItem("twice-in-a-batch");
        var second = world.RandomItem("twice-in-a-batch");
        var snapshot = catalog.UpsertMany([first, second]);
        Assert.Equal(last.Count + 1, snapshot.Count);
        Assert.Equal(last.Count, snapshot.IndexOf("twice-in-a-batch"));
        Assert.Equal(ItemVector(world, second), snapshot.VectorOf(last.Count).ToArray());
    }

    [Fact]
    public void An_id_the_model_never_saw_contributes_nothing_while_its_features_count()
    {
        var world = RandomWorld.Create(24, 8, interactions: 300);
        var catalog = new ItemCatalog(world.Model);
        var fields = world.Items[0].Fields;

        catalog.Upsert(new EntityProfile("never-seen-a", fields));
        catalog.Upsert(new EntityProfile("never-seen-b", fields));
        var snapshot = catalog.Current;

        Assert.Equal(snapshot.VectorOf(0).ToArray(), snapshot.VectorOf(1).ToArray());
        Assert.Contains(snapshot.VectorOf(0).ToArray(), value => value != 0f);
    }

    [Fact]
    public void The_category_index_follows_replacements()
    {
        var world = RandomWorld.Create(25, 8, interactions: 300);
        var catalog = new ItemCatalog(world.Model, new ItemCatalogOptions { CategoryField = "tags" });
        catalog.UpsertMany(
        [
            new EntityProfile("a", new Dictionary<string, FeatureValue> { ["tags"] = new[] { "x", "y" } }),
            new EntityProfile("b", new Dictionary<string, FeatureValue> { ["tags"] = new[] { "y" } }),
        ]);
        var before = catalog.Current;

        catalog.Upsert(new EntityProfile("a", new Dictionary<string, FeatureValue> { ["tags"] = new[] { "z" } }));
        var after = catalog.Current;

        Assert.Equal([0], before.ItemsInCategory("x").ToArray());
        Assert.Equal([0, 1], before.ItemsInCategory("y").ToArray());
        Assert.Empty(after.ItemsInCategory("x"));
        Assert.Equal([1], after.ItemsInCategory("y").ToArray());
        Assert.Equal([0], after.ItemsInCategory("z").ToArray());
        Assert.Equal(["y", "z"], after.Categories.Order());
    }

    [Fact]
    public async Task Readers_never_see_a_half_written_item_while_a_writer_upserts()
    {
        var world = RandomWorld.Create(26, 16, interactions: 300);
        var catalog = world.BuildCatalog();
        var versions = world.Items.Profiles.Select(item => new[] { item, world.RandomItem(item.Id) }).ToArray();
        var expected = versions.Select(pair => pair.Select(item => ItemVector(world, item)).ToArray()).ToArray();
        var newcomers = Enumerable.Range(0, 200).Select(i => world.RandomItem($"newcomer-{i}")).ToArray();
        var newcomerVectors = newcomers.ToDictionary(item => item.Id, item => ItemVector(world, item));
        using var stop = new CancellationTokenSource();
        var torn = 0;

        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var lastCount = 0;
            while (!stop.IsCancellationRequested)
            {
                var snapshot = catalog.Current;
                if (snapshot.Count < lastCount)
                {
                    Interlocked.Increment(ref torn);
                }

                lastCount = snapshot.Count;
                for (var i = 0; i < snapshot.Count; i++)
                {
                    var vector = snapshot.VectorOf(i).ToArray();
                    var ok = i < versions.Length
                        ? expected[i].Any(candidate => vector.SequenceEqual(candidate))
                        : vector.SequenceEqual(newcomerVectors[snapshot.IdAt(i)]);
                    if (!ok)
                    {
                        Interlocked.Increment(ref torn);
                    }
                }
            }
        })).ToArray();

        for (var round = 0; round < 200; round++)
        {
            catalog.Upsert(versions[round % versions.Length][(round / versions.Length) % 2 == 0 ? 1 : 0]);
            catalog.Upsert(newcomers[round]);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Equal(0, torn);
        Assert.Equal(world.Items.Count + newcomers.Length, catalog.Current.Count);
    }

    internal static float[] ItemVector(RandomWorld world, EntityProfile item)
    {
        var encoded = new FeatureVector();
        world.Model.Encoder.EncodeProfile(FeatureSide.Item, item, grow: false, encoded);
        var vector = new float[world.Model.Rank];
        world.Model.ItemVector(encoded, vector, out _);
        return vector;
    }

    private static float ItemBias(RandomWorld world, EntityProfile item)
    {
        var encoded = new FeatureVector();
        world.Model.Encoder.EncodeProfile(FeatureSide.Item, item, grow: false, encoded);
        world.Model.ItemVector(encoded, new float[world.Model.Rank], out var bias);
        return bias;
    }

    private static float[] Scale(float[] vector, float factor) => vector.Select(value => value * factor).ToArray();

    private static bool BeatsTheCatalog(RandomWorld world, FeatureVector user, float[] online, EntityProfile item)
    {
        var existing = world.ReferenceScores(user, online, 0f, world.Items.Profiles);
        return world.ReferenceScores(user, online, 0f, [item])[0] > existing.Max() + 0.01f;
    }
}
