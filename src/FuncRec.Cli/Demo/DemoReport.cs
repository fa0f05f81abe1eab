using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace FuncRec.Cli.Demo;

/// <summary>Writes <c>summary.json</c> and <c>report.html</c> (self-contained, inline SVG charts) for a demo run.</summary>
public static class DemoReport
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(string directory, DemoSummary summary, CancellationToken cancellationToken)
    {
        await File.WriteAllTextAsync(Path.Combine(directory, "summary.json"), JsonSerializer.Serialize(summary, Json), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(directory, "report.html"), Html(summary), cancellationToken);
    }

    private static string Html(DemoSummary s)
    {
        string F(double value) => value.ToString("0.000", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>FuncRec demo</title>")
            .Append("<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}.online{stroke:#1f77b4}.frozen{stroke:#d62728}</style></head><body>")
            .Append(CultureInfo.InvariantCulture, $"<h1>FuncRec demo — {WebUtility.HtmlEncode(s.Scenario)}</h1>")
            .Append(CultureInfo.InvariantCulture, $"<p>{s.Events} events through the HTTP API in {s.Seconds:F1} s; drift after stream event {s.DriftAt} ({WebUtility.HtmlEncode(s.Drift)}).</p>")
            .Append("<table>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>recall@10 after the drift, online</th><td>{F(s.OnlineVsFrozen.Online)}</td></tr>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>recall@10 after the drift, frozen starting model</th><td>{F(s.OnlineVsFrozen.Frozen)}</td></tr>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>lift</th><td>{s.OnlineVsFrozen.Lift:P1}</td></tr>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>models published</th><td>{s.ModelsPublished}</td></tr>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>drift alarms at stream events</th><td>{string.Join(", ", s.DriftDetectedAt)}</td></tr>")
            .Append(CultureInfo.InvariantCulture, $"<tr><th>post-to-applied latency p50 / p99</th><td>{s.FreshnessP50Ms:F0} ms / {s.FreshnessP99Ms:F0} ms</td></tr>")
            .Append("</table><h2>recall@10 over the stream (per window of 500 events)</h2>")
            .Append(Chart(s))
            .Append("<p><span style=\"color:#1f77b4\">■</span> online (learning while serving) &nbsp; <span style=\"color:#d62728\">■</span> frozen copy of the starting model &nbsp; grey line: the drift; green ticks: new model versions; orange ticks: drift alarms.</p>")
            .Append("<h2>Model versions</h2><table><tr><th>from stream event</th><th>version</th></tr>");
        foreach (var model in s.Models)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{model.AtEvent}</td><td>{WebUtility.HtmlEncode(model.Version)}</td></tr>");
        }

        return html.Append("</table></body></html>").ToString();
    }

    private static string Chart(DemoSummary s)
    {
        const int width = 900, height = 320, left = 50, bottom = 30, top = 10;
        var points = s.Timeline;
        var maxX = Math.Max(1, points.Count == 0 ? 1 : points[^1].Events);
        var maxY = Math.Max(0.05, points.Count == 0 ? 0.05 : points.Max(p => Math.Max(p.Online, p.Frozen)) * 1.1);
        double X(double events) => left + ((width - left - 10) * events / maxX);
        double Y(double value) => top + ((height - top - bottom) * (1 - (value / maxY)));
        string Line(Func<DemoPoint, double> value, string css) => $"<polyline class=\"{css}\" fill=\"none\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.Events):F1},{Y(value(p)):F1}")))}\"/>";
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"recall over time\">")
            .Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - 10}\" y2=\"{height - bottom}\" stroke=\"#999\"/>")
            .Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#999\"/>");
        for (var tick = 0; tick <= 4; tick++)
        {
            var value = maxY * tick / 4;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{Y(value) + 4:F0}\" font-size=\"11\">{value:0.00}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(s.DriftAt):F1}\" y1=\"{top}\" x2=\"{X(s.DriftAt):F1}\" y2=\"{height - bottom}\" stroke=\"#888\" stroke-dasharray=\"4\"/>");
        foreach (var model in s.Models.Skip(1))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(model.AtEvent):F1}\" y1=\"{height - bottom}\" x2=\"{X(model.AtEvent):F1}\" y2=\"{height - bottom - 12}\" stroke=\"#2ca02c\" stroke-width=\"2\"/>");
        }

        foreach (var alarm in s.DriftDetectedAt)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{X(alarm):F1}\" y1=\"{top}\" x2=\"{X(alarm):F1}\" y2=\"{top + 12}\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>");
        }

        svg.Append(Line(p => p.Online, "online")).Append(Line(p => p.Frozen, "frozen"))
            .Append(CultureInfo.InvariantCulture, $"<text x=\"{width - 120}\" y=\"{height - 6}\" font-size=\"11\">stream events →</text></svg>");
        return svg.ToString();
    }
}
