using System.Text.Json.Serialization;

namespace FuncRec.Azure;

/// <summary>
/// How a contract object is stored in Cosmos: the (encoded) document id, the object itself, its update time in UTC
/// ticks (for listing what changed), and the partition key where the container needs one besides the id.
/// </summary>
internal sealed record CosmosStoredDocument<T>(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("doc")] T Doc,
    [property: JsonPropertyName("updated")] long Updated,
    [property: JsonPropertyName("pk"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Pk = null);
