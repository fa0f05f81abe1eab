using System.Text.Json;
using System.Text.Json.Serialization;

namespace FuncRec.Application.Contracts;

/// <summary>
/// Source-generated serialisation of the documents the stores write on every event batch (no reflection on the
/// hot path); stores combine it with their own options (<c>JsonSerializerDefaults.Web</c>).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(UserDocument))]
[JsonSerializable(typeof(ItemDocument))]
[JsonSerializable(typeof(AppliedBatch))]
[JsonSerializable(typeof(EventBatch))]
public sealed partial class DocumentJsonContext : JsonSerializerContext;
