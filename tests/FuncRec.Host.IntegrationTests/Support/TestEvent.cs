namespace FuncRec.Host.IntegrationTests.Support;

/// <summary>An interaction as a client posts it to <c>POST /api/events</c> (serialised camelCase).</summary>
public sealed record TestEvent(string EventId, string UserId, string ItemId, string Type = "click");
