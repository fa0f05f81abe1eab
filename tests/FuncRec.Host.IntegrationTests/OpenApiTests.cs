using System.Text.Json;
using FuncRec.Host.IntegrationTests.Support;
using FuncRec.Http;

namespace FuncRec.Host.IntegrationTests;

/// <summary>The OpenAPI document the host serves describes exactly the routes it answers.</summary>
public sealed class OpenApiTests(EmptyHostFixture fixture) : IClassFixture<EmptyHostFixture>
{
    [Fact]
    public async Task TheOpenApiDocumentParsesAndHasAPathForEveryRoute()
    {
        using var response = await fixture.Client.GetAsync("api/openapi.json");
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.StartsWith("3.", root.GetProperty("openapi").GetString());
        var paths = root.GetProperty("paths");

        foreach (var (method, route) in ApiRoutes.All)
        {
            Assert.True(paths.TryGetProperty($"/api/{route}", out var path), $"no path /api/{route}");
            Assert.True(path.TryGetProperty(method.ToLowerInvariant(), out _), $"no {method} for /api/{route}");
        }

        var routed = ApiRoutes.All.Select(r => ($"/api/{r.Route}", r.Method.ToLowerInvariant())).ToHashSet();
        var documented = paths.EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "put" or "post" or "delete" or "patch").Select(o => (p.Name, o.Name)));
        Assert.All(documented, operation => Assert.Contains(operation, routed));
    }
}
