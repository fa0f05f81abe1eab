using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FuncRec.Http;

/// <summary>Maps the API onto ASP.NET Core routes (the local host); the Functions app maps the same handlers to functions.</summary>
public static class EndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapFuncRecApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api");
        api.MapPost(ApiRoutes.Events, (HttpRequest r, FuncRecApi h) => h.PostEventsAsync(r));
        api.MapPost(ApiRoutes.Score, (HttpRequest r, FuncRecApi h) => h.PostScoreAsync(r));
        api.MapGet(ApiRoutes.Recommendations, (HttpRequest r, string userId, FuncRecApi h) => h.GetRecommendationsAsync(r, userId));
        api.MapGet(ApiRoutes.Explain, (HttpRequest r, string userId, string itemId, FuncRecApi h) => h.GetExplanationAsync(r, userId, itemId));
        api.MapGet(ApiRoutes.User, (HttpRequest r, string id, FuncRecApi h) => h.GetUserAsync(r, id));
        api.MapPut(ApiRoutes.User, (HttpRequest r, string id, FuncRecApi h) => h.PutUserAsync(r, id));
        api.MapDelete(ApiRoutes.User, (HttpRequest r, string id, FuncRecApi h) => h.DeleteUserAsync(r, id));
        api.MapGet(ApiRoutes.Item, (HttpRequest r, string id, FuncRecApi h) => h.GetItemAsync(r, id));
        api.MapPut(ApiRoutes.Item, (HttpRequest r, string id, FuncRecApi h) => h.PutItemAsync(r, id));
        api.MapGet(ApiRoutes.CurrentModel, (HttpRequest r, FuncRecApi h) => h.GetCurrentModelAsync(r));
        api.MapGet(ApiRoutes.Models, (HttpRequest r, FuncRecApi h) => h.GetModelsAsync(r));
        api.MapPost(ApiRoutes.FineTune, (HttpRequest r, FuncRecApi h) => h.FineTuneAsync(r));
        api.MapPost(ApiRoutes.ActivateModel, (HttpRequest r, string version, FuncRecApi h) => h.ActivateModelAsync(r, version));
        api.MapGet(ApiRoutes.Health, (HttpRequest r, FuncRecApi h) => h.HealthAsync(r));
        api.MapGet(ApiRoutes.OpenApi, (FuncRecApi h) => h.OpenApiDocument());
        return endpoints;
    }
}
