using FuncRec.Application;
using FuncRec.Application.Services;
using FuncRec.Azure;
using FuncRec.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Functions;

/// <summary>
/// Everything the Functions app registers, in one call (Program.cs makes it; tests build the same container):
/// the shared application services, the Azure stores, the HTTP handlers, the model refresh that keeps every
/// instance on the active model, and telemetry to Application Insights when it is configured.
/// </summary>
public static class FunctionsRegistration
{
    public const string ApplicationInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    public static IServiceCollection AddFuncRecFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddFuncRecApplication(configuration);
        services.AddFuncRecAzureStores(configuration);
        services.AddFuncRecHttpApi();
        services.AddHostedService<ModelRefreshService>();
        if (!string.IsNullOrWhiteSpace(configuration[ApplicationInsightsSetting]))
        {
            services.AddApplicationInsightsTelemetryWorkerService();
            services.ConfigureFunctionsApplicationInsights();
        }

        return services;
    }
}
