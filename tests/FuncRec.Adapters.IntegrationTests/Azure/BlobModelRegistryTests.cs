using System.Text.Json;
using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>The blob registry's layout and its rule that a version exists only once its manifest does.</summary>
[Collection(EmulatorCollections.Blobs)]
public sealed class BlobModelRegistryTests(EmulatorFixture emulators) : AzureTest(emulators)
{
    [Fact]
    public async Task Versions_pointer_and_control_have_the_documented_blob_layout()
    {
        await Harness.Registry.PublishAsync(TestData.Model("v1", TestData.Now), Cancellation);
        await Harness.Registry.TryActivateAsync("v1", null, Cancellation);
        await Harness.Registry.TrySaveControlAsync(TestData.Control(1), null, Cancellation);

        var names = new List<string>();
        await foreach (var blob in Harness.ModelContainer.GetBlobsAsync(cancellationToken: Cancellation))
        {
            names.Add(blob.Name);
        }

        Assert.Equal(["control/fine-tune.json", "models/current.json", "models/v1/manifest.json", "models/v1/model.bin", "models/v1/model.onnx"], names);
        var pointerBlob = await Harness.ModelContainer.GetBlobClient("models/current.json").DownloadContentAsync(Cancellation);
        using var pointer = JsonDocument.Parse(pointerBlob.Value.Content.ToString());
        Assert.Equal("v1", pointer.RootElement.GetProperty("version").GetString());
        Assert.True(pointer.RootElement.TryGetProperty("activatedAt", out _));
        Assert.Equal(pointerBlob.Value.Details.ETag.ToString(), (await Harness.Registry.GetActiveAsync(Cancellation))!.ETag);
    }

    [Fact]
    public async Task Version_without_its_manifest_is_invisible_and_its_name_cannot_be_published_again()
    {
        // What a publisher that died after its first file leaves behind.
        await Harness.Registry.ListAsync(Cancellation);
        await Harness.ModelContainer.GetBlobClient("models/v9/model.bin").UploadAsync(BinaryData.FromBytes([1, 2, 3]), Cancellation);

        Assert.Empty(await Harness.Registry.ListAsync(Cancellation));
        Assert.Null(await Harness.Registry.LoadAsync("v9", Cancellation));
        Assert.Null(await Harness.Registry.GetManifestAsync("v9", Cancellation));
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Harness.Registry.PublishAsync(TestData.Model("v9", TestData.Now), Cancellation));
        Assert.Contains("v9", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_is_created_without_CreateIfMissing_and_a_missing_container_is_an_error_not_an_empty_registry()
    {
        var registry = NewHarness(settings => settings["FuncRec:Storage:CreateIfMissing"] = "false").Registry;

        await Assert.ThrowsAsync<global::Azure.RequestFailedException>(() => registry.PublishAsync(TestData.Model("v1", TestData.Now), Cancellation));
        var missing = await Assert.ThrowsAsync<global::Azure.RequestFailedException>(() => registry.GetActiveAsync(Cancellation));
        Assert.Equal("ContainerNotFound", missing.ErrorCode);
    }
}
