using FuncRec.Application.Services;
using FuncRec.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace FuncRec.Functions.Functions;

/// <summary>Model administration (admin key) and the timer that runs the fine-tune cycle.</summary>
public sealed class ModelFunctions(FuncRecApi api, FineTuneService fineTune, ILogger<ModelFunctions> logger)
{
    [Function("ListModels")]
    public Task<IActionResult> ListModels([HttpTrigger(AuthorizationLevel.Admin, "get", Route = ApiRoutes.Models)] HttpRequest request)
        => ActionResult.From(api.GetModelsAsync(request));

    [Function("CurrentModel")]
    public Task<IActionResult> CurrentModel([HttpTrigger(AuthorizationLevel.Admin, "get", Route = ApiRoutes.CurrentModel)] HttpRequest request)
        => ActionResult.From(api.GetCurrentModelAsync(request));

    [Function("ActivateModel")]
    public Task<IActionResult> ActivateModel([HttpTrigger(AuthorizationLevel.Admin, "post", Route = ApiRoutes.ActivateModel)] HttpRequest request, string version)
        => ActionResult.From(api.ActivateModelAsync(request, version));

    [Function("FineTuneNow")]
    public Task<IActionResult> FineTuneNow([HttpTrigger(AuthorizationLevel.Admin, "post", Route = ApiRoutes.FineTune)] HttpRequest request)
        => ActionResult.From(api.FineTuneAsync(request));

    /// <summary>
    /// The scheduled cycle. It publishes only a finite challenger that is not worse than the champion, and flips the
    /// active pointer with a compare-and-swap, so a run that overlaps another instance's or crashes leaves the
    /// active model intact. A schedule tick runs a cycle only when the adaptive amount of new data has arrived or
    /// a drift alarm asked for one.
    /// </summary>
    [Function("FineTuneSchedule")]
    public async Task FineTuneSchedule([TimerTrigger("%FuncRecFineTuneSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        logger.LogInformation("Fine-tune timer fired (past due: {IsPastDue}, next: {Next})", timer.IsPastDue, timer.ScheduleStatus?.Next);
        var outcome = await fineTune.RunAsync("schedule", force: false, cancellationToken);
        logger.LogInformation("Fine-tune cycle: {Decision} ({Reason}), version {Version}", outcome.Decision, outcome.Reason, outcome.Version);
    }
}
