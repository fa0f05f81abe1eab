using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FuncRec.Cli.Bench;

/// <summary>
/// The same closed-loop phases as <see cref="LoadGenerator"/>, driven by wrk (a C load generator; Debian package
/// <c>wrk</c>) when it is installed. wrk spends a fraction of the CPU the <see cref="HttpClient"/> generator does,
/// which matters on a 2-core machine where the generator and the server share the cores. The Lua script draws the
/// same request shapes: a uniformly drawn user per recommend request, 100 uniformly drawn click events with unique
/// ids per ingest request. One wrk thread holds all connections, as one core's worth of client is plenty.
/// Two differences from the built-in generator: wrk counts any answer below 400 as a success (the built-in one only
/// 200 and 202; the phases' routes answer nothing else on success), and its latency percentiles include answers
/// that failed.
/// </summary>
public static class WrkLoadGenerator
{
    /// <summary>The wrk executable on PATH, or null.</summary>
    public static string? Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "wrk");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>A warm-up run (its results dropped, its event ids never reused), then the measured run.</summary>
    public static async Task<LoadResult> RunAsync(string wrk, Uri baseAddress, string pattern, int concurrency, TimeSpan warmup, TimeSpan duration, int users, int items, ulong seed, CancellationToken cancellationToken)
    {
        if (pattern is not (LoadGenerator.Recommend or LoadGenerator.Constant or LoadGenerator.Ingest))
        {
            throw new ArgumentException($"Unknown load pattern '{pattern}'.", nameof(pattern));
        }

        var script = Path.Combine(Path.GetTempPath(), $"funcrec-wrk-{Environment.ProcessId}-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(script, Script, cancellationToken);
        try
        {
            if (warmup > TimeSpan.Zero)
            {
                await RunOnceAsync(wrk, script, baseAddress, pattern, concurrency, warmup, users, items, $"w{seed}", cancellationToken);
            }

            var summary = await RunOnceAsync(wrk, script, baseAddress, pattern, concurrency, duration, users, items, $"m{seed}", cancellationToken);
            var seconds = summary.DurationMicroseconds / 1e6;
            var succeeded = summary.Requests - summary.StatusErrors;
            return new LoadResult(
                pattern, concurrency, seconds, succeeded, summary.StatusErrors + summary.SocketErrors,
                succeeded / seconds, summary.P50Microseconds / 1e3, summary.P99Microseconds / 1e3, summary.MeanMicroseconds / 1e3,
                pattern == LoadGenerator.Ingest ? succeeded * LoadGenerator.IngestBatchSize : 0);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static async Task<WrkSummary> RunOnceAsync(string wrk, string script, Uri baseAddress, string pattern, int concurrency, TimeSpan duration, int users, int items, string idPrefix, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(wrk)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "-t1", $"-c{concurrency}", $"-d{Math.Max(1, (int)Math.Round(duration.TotalSeconds))}s", "--timeout", "30s", "-s", script,
            baseAddress.GetLeftPart(UriPartial.Authority), "--", pattern, users.ToString(CultureInfo.InvariantCulture),
            items.ToString(CultureInfo.InvariantCulture), idPrefix, baseAddress.AbsolutePath,
        })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start wrk.");
        try
        {
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var error = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            var line = (await output).Split('\n').LastOrDefault(l => l.StartsWith("{\"requests\"", StringComparison.Ordinal));
            return line is null || process.ExitCode != 0
                ? throw new InvalidOperationException($"wrk failed (exit {process.ExitCode}): {await output}{await error}")
                : JsonSerializer.Deserialize<WrkSummary>(line) ?? throw new InvalidDataException("wrk printed an empty summary.");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    private sealed record WrkSummary(
        [property: JsonPropertyName("requests")] long Requests,
        [property: JsonPropertyName("duration_us")] long DurationMicroseconds,
        [property: JsonPropertyName("status_errors")] long StatusErrors,
        [property: JsonPropertyName("socket_errors")] long SocketErrors,
        [property: JsonPropertyName("p50_us")] double P50Microseconds,
        [property: JsonPropertyName("p99_us")] double P99Microseconds,
        [property: JsonPropertyName("mean_us")] double MeanMicroseconds);

    // wrk calls init once per thread with the arguments after "--", request before every request, and done once
    // with the run's summary and latency histogram. Event ids carry the run's prefix and a counter, so the warm-up
    // and the measured run never post the same id (a repeated id would be skipped, not applied).
    private const string Script = """
        local pattern, users, items, prefix, base
        local counter = 0
        local headers = { ["Content-Type"] = "application/json" }

        function init(args)
          pattern, users, items, prefix, base = args[1], tonumber(args[2]), tonumber(args[3]), args[4], args[5]
          if base:sub(-1) ~= "/" then base = base .. "/" end
          local seed = 0
          for i = 1, #prefix do seed = (seed * 31 + prefix:byte(i)) % 2147483647 end
          math.randomseed(seed)
        end

        function request()
          if pattern == "recommend" then
            return wrk.format("GET", base .. "api/recommendations/u" .. math.random(0, users - 1) .. "?k=10&excludeSeen=true")
          elseif pattern == "constant" then
            return wrk.format("GET", base .. "constant")
          end
          local events = {}
          for i = 1, 100 do
            counter = counter + 1
            events[i] = string.format('{"eventId":"wrk-%s-%d","userId":"u%d","itemId":"i%d","type":"click"}',
              prefix, counter, math.random(0, users - 1), math.random(0, items - 1))
          end
          return wrk.format("POST", base .. "api/events", headers, "[" .. table.concat(events, ",") .. "]")
        end

        function done(summary, latency, requests)
          local e = summary.errors
          io.write(string.format('{"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f}\n',
            summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
            latency:percentile(50), latency:percentile(99), latency.mean))
        end
        """;
}
