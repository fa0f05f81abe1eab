using FuncRec.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FuncRec.Functions.Functions;

/// <summary>Users' and items' features; forgetting a user.</summary>
public sealed class ProfileFunctions(FuncRecApi api)
{
    [Function("GetUser")]
    public Task<IActionResult> GetUser([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.User)] HttpRequest request, string id)
        => ActionResult.From(api.GetUserAsync(request, id));

    [Function("PutUser")]
    public Task<IActionResult> PutUser([HttpTrigger(AuthorizationLevel.Function, "put", Route = ApiRoutes.User)] HttpRequest request, string id)
        => ActionResult.From(api.PutUserAsync(request, id));

    [Function("DeleteUser")]
    public Task<IActionResult> DeleteUser([HttpTrigger(AuthorizationLevel.Function, "delete", Route = ApiRoutes.User)] HttpRequest request, string id)
        => ActionResult.From(api.DeleteUserAsync(request, id));

    [Function("GetItem")]
    public Task<IActionResult> GetItem([HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Item)] HttpRequest request, string id)
        => ActionResult.From(api.GetItemAsync(request, id));

    [Function("PutItem")]
    public Task<IActionResult> PutItem([HttpTrigger(AuthorizationLevel.Function, "put", Route = ApiRoutes.Item)] HttpRequest request, string id)
        => ActionResult.From(api.PutItemAsync(request, id));
}
