using Microsoft.Extensions.DependencyInjection;

namespace FuncRec.Http;

public static class ServiceCollectionExtensions
{
    /// <summary>Registers the API handlers (the application services must be registered too).</summary>
    public static IServiceCollection AddFuncRecHttpApi(this IServiceCollection services) => services.AddSingleton<FuncRecApi>();
}
