using FuncRec.Application.Options;
using FuncRec.Application.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FuncRec.Application;

/// <summary>Registers the use cases every host shares. Storage adapters (the ports) are registered by the host's choice of adapters.</summary>
public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddFuncRecApplication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FuncRecOptions>()
            .Bind(configuration.GetSection(FuncRecOptions.Section))
            .Configure(options =>
            {
                // The trigger bindings read these flat settings; the options follow them so both agree.
                if (configuration[FuncRecOptions.FineTuneScheduleSetting] is { Length: > 0 } schedule)
                {
                    options.FineTune.Schedule = schedule;
                }
            })
            .ValidateDataAnnotations()
            .Validate(options => NCrontab.CrontabSchedule.TryParse(options.FineTune.Schedule, new NCrontab.CrontabSchedule.ParseOptions { IncludingSeconds = true }) is not null,
                $"{FuncRecOptions.FineTuneScheduleSetting} (FuncRec:FineTune:Schedule) must be an NCRONTAB expression with six fields, e.g. '0 */5 * * * *'")
            .Validate(options => options.Model.MinRating < options.Model.MaxRating, "FuncRec:Model:MinRating must be below FuncRec:Model:MaxRating")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FuncRecOptions>, NestedOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ModelHost>();
        services.AddSingleton<OnlineLearningService>();
        services.AddSingleton<PopularityService>();
        services.AddSingleton<EventIngestionService>();
        services.AddSingleton<EventBatchProcessor>();
        services.AddSingleton<RecommendationService>();
        services.AddSingleton<ProfileService>();
        services.AddSingleton<ModelService>();
        services.AddSingleton<FineTuneService>();
        services.AddSingleton<ServingWarmup>();
        return services;
    }
}
