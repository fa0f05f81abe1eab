using FuncRec.TestSupport;

namespace FuncRec.Adapters.IntegrationTests;

/// <summary>
/// The test classes that run on the emulators, in three collections by the emulator they mostly load (Cosmos,
/// blobs, queues) so that the three run in parallel; their fixtures share one Azurite and one cosmosdb-server.
/// </summary>
public static class EmulatorCollections
{
    public const string Cosmos = "Emulators: Cosmos DB";
    public const string Blobs = "Emulators: Blob storage";
    public const string Queues = "Emulators: Queue storage";
}

[CollectionDefinition(EmulatorCollections.Cosmos)]
public sealed class CosmosEmulatorCollection : ICollectionFixture<EmulatorFixture>;

[CollectionDefinition(EmulatorCollections.Blobs)]
public sealed class BlobEmulatorCollection : ICollectionFixture<EmulatorFixture>;

[CollectionDefinition(EmulatorCollections.Queues)]
public sealed class QueueEmulatorCollection : ICollectionFixture<EmulatorFixture>;
