using System.Net;
using System.Text;
using FuncRec.TestSupport;
using Microsoft.Azure.Cosmos;

namespace FuncRec.Adapters.IntegrationTests.Azure;

/// <summary>
/// tests/emulators/cosmos-proxy.js makes cosmosdb-server answer as Cosmos DB does where the stores depend on it
/// (docs/emulators.md lists each correction): these tests hold the proxy to that.
/// </summary>
[Collection(EmulatorCollections.Cosmos)]
public sealed class CosmosEmulatorCorrectionTests(EmulatorFixture emulators) : AzureTest(emulators)
{
    [Fact]
    public async Task Reading_a_missing_document_answers_404_not_500()
    {
        await Harness.Users.GetAsync("anyone", Cancellation);

        var error = await Assert.ThrowsAsync<CosmosException>(() => Harness.UsersContainer.ReadItemAsync<object>("missing", new PartitionKey("missing"), cancellationToken: Cancellation));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task Ids_with_characters_Cosmos_refuses_are_refused()
    {
        await Harness.Users.GetAsync("anyone", Cancellation);

        using var response = await Harness.UsersContainer.CreateItemStreamAsync(Json("""{"id":"a/b"}"""), new PartitionKey("a/b"), cancellationToken: Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Partition_key_of_the_request_must_match_the_document()
    {
        await Harness.Items.GetAsync("anything", Cancellation);

        using var response = await Harness.ItemsContainer.CreateItemStreamAsync(Json("""{"id":"x","pk":"b1"}"""), new PartitionKey("b2"), cancellationToken: Cancellation);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Documents_over_2_MB_are_refused()
    {
        await Harness.Users.GetAsync("anyone", Cancellation);

        using var response = await Harness.UsersContainer.CreateItemStreamAsync(Json($$"""{"id":"big","pad":"{{new string('x', 2 * 1024 * 1024)}}"}"""), new PartitionKey("big"), cancellationToken: Cancellation);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Account_advertises_the_endpoint_the_client_connected_to()
    {
        var account = await Harness.Cosmos.ReadAccountAsync();

        Assert.All(account.WritableRegions.Concat(account.ReadableRegions), region => Assert.Equal($"http://127.0.0.1:{Emulators.CosmosPort}/", region.Endpoint));
    }

    [Fact]
    public async Task Https_endpoint_with_the_emulators_self_signed_certificate_is_accepted_on_loopback()
    {
        var harness = NewHarness(settings => settings["FuncRec:Cosmos:ConnectionString"] = Emulators.CosmosHttpsConnectionString);

        var etag = await harness.Users.TryWriteAsync(TestData.User("u1"), null, Cancellation);

        Assert.Equal(etag, (await harness.Users.GetAsync("u1", Cancellation))!.ETag);
    }

    private static MemoryStream Json(string json) => new(Encoding.UTF8.GetBytes(json));
}
