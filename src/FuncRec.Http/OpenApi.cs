using System.Reflection;

namespace FuncRec.Http;

/// <summary>The OpenAPI 3 description of the API (one document, served by both hosts at <c>/api/openapi.json</c>).</summary>
public static class OpenApi
{
    private static readonly Lazy<string> Text = new(() =>
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("FuncRec.Http.openapi.json")
            ?? throw new InvalidOperationException("The OpenAPI document is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Document => Text.Value;
}
