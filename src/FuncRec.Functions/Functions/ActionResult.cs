using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FuncRec.Functions.Functions;

/// <summary>Lets a function return the shared API's <see cref="IResult"/> through ASP.NET Core integration, which expects an <see cref="IActionResult"/>.</summary>
public sealed class ActionResult(IResult result) : IActionResult
{
    public IResult Result { get; } = result;

    public Task ExecuteResultAsync(ActionContext context) => Result.ExecuteAsync(context.HttpContext);

    public static async Task<IActionResult> From(Task<IResult> result) => new ActionResult(await result);
}
