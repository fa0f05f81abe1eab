using System.Net;
using System.Text.Json;
using FuncRec.Azure;
using FuncRec.TestSupport;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>How the Cosmos stores lay documents out: wrapper, encoded ids, partition keys, and errors that must not pass for "missing".</summary>
[Collection(EmulatorCollections.Cosmos)]
public sealed class CosmosStoreTests(EmulatorFixture emulators) : AzureTest(emulators)
{
    [Fact]
    public async Task User_is_stored_as_a_wrapper_of_id_document_and_update_ticks()
    {
        var user = TestData.User("u1");
        await Harness.Users.TryWriteAsync(user, null, Cancellation);

        using var stored = await ReadRawAsync(Harness.UsersContainer, "u1", "u1");

        Assert.Equal("u1", stored.RootElement.GetProperty("id").GetString());
        Assert.Equal(user.UpdatedAt.UtcTicks, stored.RootElement.GetProperty("updated").GetInt64());
        Assert.False(stored.RootElement.TryGetProperty("pk", out _));
        var doc = stored.RootElement.GetProperty("doc");
        Assert.Equal("u1", doc.GetProperty("id").GetString());
        Assert.Equal(31, doc.GetProperty("features").GetProperty("age").GetDouble());
        Assert.Equal("NZ", doc.GetProperty("features").GetProperty("country").GetString());
        Assert.Equal(JsonValueKind.Array, doc.GetProperty("features").GetProperty("tags").ValueKind);
    }

    [Fact]
    public async Task Id_with_reserved_characters_is_encoded_and_the_raw_id_stays_in_the_document()
    {
        await Harness.Users.TryWriteAsync(TestData.User("a/b"), null, Cancellation);

        using var stored = await ReadRawAsync(Harness.UsersContainer, "~b64~YS9i", "~b64~YS9i");

        Assert.Equal("a/b", stored.RootElement.GetProperty("doc").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Item_is_stored_in_the_partition_of_its_hash_bucket()
    {
        await Harness.Items.UpsertAsync(TestData.Item("item-001", TestData.Now), Cancellation);
        var bucket = ItemPartitions.Of("item-001");

        using var stored = await ReadRawAsync(Harness.ItemsContainer, "item-001", bucket);

        Assert.Equal(bucket, stored.RootElement.GetProperty("pk").GetString());
        using var elsewhere = await Harness.ItemsContainer.ReadItemStreamAsync("item-001", new PartitionKey(bucket == "b0" ? "b1" : "b0"), cancellationToken: Cancellation);
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
    }

    [Fact]
    public void Item_buckets_never_change_and_spread_ids_over_all_sixteen()
    {
        // Stored items live in these partitions: a different hash would lose them, so the values are pinned.
        Assert.Equal(["b8", "b9", "b10"], new[] { "item-001", "movie:42", "ü" }.Select(ItemPartitions.Of));
        Assert.Equal(16, Enumerable.Range(0, 200).Select(i => ItemPartitions.Of($"item-{i}")).Distinct().Count());
    }

    [Fact]
    public void Encoded_ids_never_collide_with_plain_ones()
    {
        var ids = TestData.AwkwardIds.Append("YS9i").Append("~b64~YS9i").ToArray();

        var encoded = ids.Select(CosmosIds.Encode).ToArray();

        Assert.Equal(ids.Length, encoded.Distinct().Count());
        Assert.All(encoded, id => Assert.True(id.IndexOfAny(['/', '\\', '?', '#']) < 0));
        Assert.Equal("plain-id", CosmosIds.Encode("plain-id"));
    }

    [Fact]
    public async Task Containers_are_created_with_the_documented_partition_keys()
    {
        await Harness.Users.GetAsync("anyone", Cancellation);

        Assert.Equal("/id", (await Harness.UsersContainer.ReadContainerAsync(cancellationToken: Cancellation)).Resource.PartitionKeyPath);
        Assert.Equal("/pk", (await Harness.ItemsContainer.ReadContainerAsync(cancellationToken: Cancellation)).Resource.PartitionKeyPath);
    }

    [Fact]
    public async Task Missing_container_is_an_error_not_a_missing_user()
    {
        var users = NewHarness(settings => settings["FuncRec:Cosmos:CreateIfMissing"] = "false").Users;

        var error = await Assert.ThrowsAsync<CosmosException>(() => users.GetAsync("u1", Cancellation));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal(1003, error.SubStatusCode);
    }

    private async Task<JsonDocument> ReadRawAsync(Container container, string id, string partitionKey)
    {
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(partitionKey), cancellationToken: Cancellation);
        response.EnsureSuccessStatusCode();
        return await JsonDocument.ParseAsync(response.Content, cancellationToken: Cancellation);
    }
}
