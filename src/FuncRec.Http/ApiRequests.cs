using FuncRec.Core.Features;

namespace FuncRec.Http;

/// <summary>Body of <c>PUT /api/users/{id}</c> and <c>PUT /api/items/{id}</c>.</summary>
public sealed record FeaturesRequest(Dictionary<string, FeatureValue>? Features);

/// <summary>Body of <c>POST /api/score</c>.</summary>
public sealed record ScoreRequest(string? UserId, List<string>? ItemIds, Dictionary<string, string>? Context);

/// <summary>Answer of <c>POST /api/events</c>.</summary>
public sealed record IngestResponse(int Received, int Accepted, int Rejected, IReadOnlyList<string> EventIds, IReadOnlyList<RejectedEventResponse> Errors, int Applied);

public sealed record RejectedEventResponse(int Index, string Field, string Reason);

/// <summary>Answer of <c>GET /api/health</c>.</summary>
public sealed record HealthResponse(string Status, string? ModelVersion, DateTimeOffset? LastModelRefresh, long QueueDepth, string? EventLogEnd, long OnlineEvents, double OnlineLearningRate);
