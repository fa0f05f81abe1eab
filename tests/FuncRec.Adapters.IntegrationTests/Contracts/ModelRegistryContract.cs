using FuncRec.Adapters.IntegrationTests.Harness;
using FuncRec.Application.Ports;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Contracts;

/// <summary>
/// What every <see cref="IModelRegistry"/> does: immutable versions, an active pointer and a control document moved only
/// by compare-and-swap, missing things as null.
/// </summary>
public abstract class ModelRegistryContract : PortContract
{
    private IModelRegistry Registry => Harness.Registry;

    [Fact]
    public async Task Empty_registry_has_no_active_model_versions_or_control()
    {
        Assert.Null(await Registry.GetActiveAsync(Cancellation));
        Assert.Empty(await Registry.ListAsync(Cancellation));
        Assert.Null(await Registry.GetManifestAsync("v1", Cancellation));
        Assert.Null(await Registry.LoadAsync("v1", Cancellation));
        Assert.Null(await Registry.GetControlAsync(Cancellation));
    }

    [Fact]
    public async Task Published_version_of_5_MB_loads_back_byte_for_byte()
    {
        var model = TestData.Model("v1", TestData.Now, parameterBytes: 5 * 1024 * 1024, onnxBytes: 1024 * 1024);

        await Registry.PublishAsync(model, Cancellation);

        var loaded = await Registry.LoadAsync("v1", Cancellation);
        Assert.Equal(model.Parameters, loaded!.Parameters);
        Assert.Equal(model.Onnx, loaded.Onnx);
        TestData.AssertSameJson(model.Manifest, loaded.Manifest);
        TestData.AssertSameJson(model.Manifest, await Registry.GetManifestAsync("v1", Cancellation));
    }

    [Fact]
    public async Task Publishing_an_existing_version_throws_and_leaves_it_unchanged()
    {
        var original = TestData.Model("v1", TestData.Now);
        await Registry.PublishAsync(original, Cancellation);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Registry.PublishAsync(TestData.Model("v1", TestData.Now.AddDays(1), parameterBytes: 10), Cancellation));

        var loaded = await Registry.LoadAsync("v1", Cancellation);
        Assert.Equal(original.Parameters, loaded!.Parameters);
        Assert.Equal(original.Manifest.CreatedAt, loaded.Manifest.CreatedAt);
    }

    [Fact]
    public async Task Versions_are_listed_oldest_first()
    {
        await Registry.PublishAsync(TestData.Model("v-b", TestData.Now.AddHours(2)), Cancellation);
        await Registry.PublishAsync(TestData.Model("v-c", TestData.Now), Cancellation);
        await Registry.PublishAsync(TestData.Model("v-a", TestData.Now.AddHours(1)), Cancellation);

        Assert.Equal(["v-c", "v-a", "v-b"], (await Registry.ListAsync(Cancellation)).Select(m => m.Version));
    }

    [Fact]
    public async Task First_activation_succeeds_only_while_no_model_is_active()
    {
        Assert.True(await Registry.TryActivateAsync("v1", null, Cancellation));
        Assert.False(await Registry.TryActivateAsync("v2", null, Cancellation));

        Assert.Equal("v1", (await Registry.GetActiveAsync(Cancellation))!.Version);
    }

    [Fact]
    public async Task Activation_with_the_current_etag_moves_the_pointer_and_a_stale_etag_is_refused()
    {
        await Registry.TryActivateAsync("v1", null, Cancellation);
        var first = (await Registry.GetActiveAsync(Cancellation))!;

        Assert.True(await Registry.TryActivateAsync("v2", first.ETag, Cancellation));
        Assert.False(await Registry.TryActivateAsync("v3", first.ETag, Cancellation));

        var second = (await Registry.GetActiveAsync(Cancellation))!;
        Assert.Equal("v2", second.Version);
        Assert.NotEqual(first.ETag, second.ETag);

        // Rollback is an activation of an older version with the current ETag.
        Assert.True(await Registry.TryActivateAsync("v1", second.ETag, Cancellation));
        Assert.Equal("v1", (await Registry.GetActiveAsync(Cancellation))!.Version);
    }

    [Fact]
    public async Task Concurrent_activations_from_the_same_etag_exactly_one_wins()
    {
        await Registry.TryActivateAsync("v0", null, Cancellation);
        var current = (await Registry.GetActiveAsync(Cancellation))!;

        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(async () => (Version: $"v{i}", Won: await Registry.TryActivateAsync($"v{i}", current.ETag, Cancellation)))));

        var winner = Assert.Single(results, r => r.Won);
        Assert.Equal(winner.Version, (await Registry.GetActiveAsync(Cancellation))!.Version);
    }

    [Fact]
    public async Task Concurrent_first_activations_exactly_one_wins()
    {
        var results = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(async () => (Version: $"v{i}", Won: await Registry.TryActivateAsync($"v{i}", null, Cancellation)))));

        var winner = Assert.Single(results, r => r.Won);
        Assert.Equal(winner.Version, (await Registry.GetActiveAsync(Cancellation))!.Version);
    }

    [Fact]
    public async Task Control_is_saved_by_compare_and_swap_and_round_trips()
    {
        Assert.True(await Registry.TrySaveControlAsync(TestData.Control(1), null, Cancellation));
        Assert.False(await Registry.TrySaveControlAsync(TestData.Control(99), null, Cancellation));
        var first = (await Registry.GetControlAsync(Cancellation))!;
        TestData.AssertSameJson(TestData.Control(1), first.Value);

        Assert.True(await Registry.TrySaveControlAsync(TestData.Control(2), first.ETag, Cancellation));
        Assert.False(await Registry.TrySaveControlAsync(TestData.Control(3), first.ETag, Cancellation));

        Assert.Equal(2, (await Registry.GetControlAsync(Cancellation))!.Value.Cycles);
    }

    [Fact]
    public async Task Names_that_cannot_be_versions_are_never_found_and_cannot_be_published()
    {
        Assert.Null(await Registry.GetManifestAsync("../v1", Cancellation));
        Assert.Null(await Registry.LoadAsync("a/b", Cancellation));
        Assert.Null(await Registry.LoadAsync("current.json", Cancellation));
        await Assert.ThrowsAsync<ArgumentException>(() => Registry.PublishAsync(TestData.Model("a/b", TestData.Now), Cancellation));
    }
}

public sealed class FileModelRegistryContractTests : ModelRegistryContract
{
    protected override AdapterHarness CreateHarness() => new EmbeddedHarness();
}

[Collection(EmulatorCollections.Blobs)]
public sealed class BlobModelRegistryContractTests(EmulatorFixture emulators) : ModelRegistryContract
{
    protected override AdapterHarness CreateHarness() => new AzureHarness(emulators);
}
