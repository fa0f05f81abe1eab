using FuncRec.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FuncRec.Functions.Functions;

/// <summary>Scoring, recommendation and explanation, served from the cached ONNX session of the active model.</summary>
public sealed class ServingFunctions(FuncRecApi api)
{
    [Function("Score")]
    public Task<IActionResult> Score([HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.Score)] HttpRequest request)
        => ActionResult.From(api.PostScoreAsync(request));

    [Function("Recommendations")]
    public Task<IActionResult> Recommendations([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Recommendations)] HttpRequest request, string userId)
        => ActionResult.From(api.GetRecommendationsAsync(request, userId));

    [Function("Explain")]
    public Task<IActionResult> Explain([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Explain)] HttpRequest request, string userId, string itemId)
        => ActionResult.From(api.GetExplanationAsync(request, userId, itemId));

    [Function("Health")]
    public Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.Health)] HttpRequest request)
        => ActionResult.From(api.HealthAsync(request));

    [Function("OpenApi")]
    public IActionResult OpenApi([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.OpenApi)] HttpRequest request)
        => new ActionResult(api.OpenApiDocument());
}
