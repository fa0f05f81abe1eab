using System.Text;
using System.Text.Json;
using FuncRec.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Functions.Tests;

/// <summary>
/// The Functions app's DI container, built by the same registration as Program.cs over settings that point at the
/// emulators, with helpers to invoke function classes as the host would (HTTP requests through ASP.NET Core types).
/// </summary>
public sealed class FunctionsHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public FunctionsHarness(IReadOnlyDictionary<string, string?> settings)
    {
        Configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(Configuration);
        services.AddFuncRecFunctions(Configuration);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public IConfiguration Configuration { get; }

    public IServiceProvider Services => _services;

    /// <summary>A function class as the worker creates it: constructor injection from the app's container.</summary>
    public T Function<T>() => ActivatorUtilities.CreateInstance<T>(_services);

    public HttpRequest Request(string method, string path, object? body = null, string? rawBody = null)
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = method;
        context.Request.Path = path;
        var text = rawBody ?? (body is null ? null : JsonSerializer.Serialize(body));
        if (text is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/json";
        }

        context.Response.Body = new MemoryStream();
        return context.Request;
    }

    /// <summary>Runs the action result the way the host does and returns the status and the parsed body.</summary>
    public static async Task<(int Status, JsonElement Body)> ExecuteAsync(HttpRequest request, IActionResult result)
    {
        await result.ExecuteResultAsync(new ActionContext(request.HttpContext, new RouteData(), new ActionDescriptor()));
        var response = request.HttpContext.Response;
        response.Body.Position = 0;
        var text = await new StreamReader(response.Body).ReadToEndAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static Dictionary<string, string?> Settings(EmulatorFixture emulators, string prefix)
    {
        var settings = emulators.CreateSettings(prefix);
        settings["FuncRec:Storage:EventLogSettleTime"] = "00:00:00.001";
        settings["FuncRec:FineTune:MinEvents"] = "10";
        settings["FuncRecFineTuneSchedule"] = "0 */5 * * * *";
        return settings;
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();
}
