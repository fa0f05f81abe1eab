namespace FuncRec.Http;

/// <summary>The routes of the HTTP API, shared by the local host, the Functions app, the OpenAPI document and the tests.</summary>
public static class ApiRoutes
{
    public const string Events = "events";
    public const string Score = "score";
    public const string Recommendations = "recommendations/{userId}";
    public const string Explain = "explain/{userId}/{itemId}";
    public const string User = "users/{id}";
    public const string Item = "items/{id}";
    public const string Models = "models";
    public const string CurrentModel = "models/current";
    public const string ActivateModel = "models/{version}/activate";
    public const string FineTune = "models/fine-tune";
    public const string Health = "health";
    public const string OpenApi = "openapi.json";

    /// <summary>Every (method, route) pair the API answers, under the <c>/api/</c> prefix.</summary>
    public static IReadOnlyList<(string Method, string Route)> All { get; } =
    [
        ("POST", Events),
        ("POST", Score),
        ("GET", Recommendations),
        ("GET", Explain),
        ("GET", User),
        ("PUT", User),
        ("DELETE", User),
        ("GET", Item),
        ("PUT", Item),
        ("GET", Models),
        ("GET", CurrentModel),
        ("POST", ActivateModel),
        ("POST", FineTune),
        ("GET", Health),
        ("GET", OpenApi),
    ];
}
