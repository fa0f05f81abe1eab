using System.Text.Json;
using System.Text.Json.Serialization;
using FuncRec.Application.Services;

namespace FuncRec.Http;

/// <summary>
/// Source-generated serialisation of the answers written on every request of the hot routes (recommend, score,
/// ingest): the reflection-based writer was ~5 % of the server's CPU under recommend load. Other answers keep the
/// reflection resolver; <see cref="ApiJson.Options"/> combines both, with the same conventions.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RecommendationResult))]
[JsonSerializable(typeof(ScoreResult))]
[JsonSerializable(typeof(IngestResponse))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
