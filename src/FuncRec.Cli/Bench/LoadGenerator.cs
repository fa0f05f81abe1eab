using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace FuncRec.Cli.Bench;

/// <summary>What a load run measured (after warm-up).</summary>
public sealed record LoadResult(string Pattern, int Concurrency, double Seconds, long Requests, long Failures, double RequestsPerSecond, double P50Ms, double P99Ms, double MeanMs, long Events);

/// <summary>
/// A closed-loop HTTP load generator: <c>concurrency</c> clients each send the next request as soon as the last
/// answered; latencies are recorded after the warm-up. It runs in its own process (<c>funcrec bench load</c>), so
/// the server under test does not share its runtime, and the same generator drives every phase.
/// </summary>
public static class LoadGenerator
{
    public const string Recommend = "recommend";
    public const string Constant = "constant";
    public const string Ingest = "ingest";

    public static async Task<LoadResult> RunAsync(Uri baseAddress, string pattern, int concurrency, TimeSpan warmup, TimeSpan duration, int users, int items, ulong seed, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10), UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var clock = Stopwatch.StartNew();
        var measureFrom = warmup;
        var end = warmup + duration;
        var latencies = new List<double>[concurrency];
        var failures = 0L;
        var events = 0L;
        var clients = Enumerable.Range(0, concurrency).Select(async client =>
        {
            var random = new Random(unchecked((int)seed + client));
            var mine = latencies[client] = new List<double>(100_000);
            var eventCounter = 0L;
            while (clock.Elapsed < end && !cancellationToken.IsCancellationRequested)
            {
                using var request = Build(pattern, random, users, items, client, seed, ref eventCounter);
                var started = clock.Elapsed;
                var ok = false;
                try
                {
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    ok = response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted;
                }
                catch (HttpRequestException)
                {
                }

                var finished = clock.Elapsed;
                if (started < measureFrom || finished > end)
                {
                    continue;
                }

                if (ok)
                {
                    mine.Add((finished - started).TotalMilliseconds);
                    if (pattern == Ingest)
                    {
                        Interlocked.Add(ref events, IngestBatchSize);
                    }
                }
                else
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }).ToArray();
        await Task.WhenAll(clients);
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double q) => Core.Evaluation.Percentiles.NearestRankOfSorted(all, q);
        return new LoadResult(pattern, concurrency, duration.TotalSeconds, all.Length, failures, all.Length / duration.TotalSeconds, Percentile(0.5), Percentile(0.99), all.Length == 0 ? double.NaN : all.Average(), events);
    }

    public const int IngestBatchSize = 100;

    private static HttpRequestMessage Build(string pattern, Random random, int users, int items, int client, ulong seed, ref long counter)
    {
        switch (pattern)
        {
            case Recommend:
                return new HttpRequestMessage(HttpMethod.Get, $"api/recommendations/u{random.Next(users)}?k=10&excludeSeen=true");
            case Constant:
                return new HttpRequestMessage(HttpMethod.Get, "constant");
            case Ingest:
                var body = new StringBuilder("[");
                for (var i = 0; i < IngestBatchSize; i++)
                {
                    counter++;
                    body.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? string.Empty : ",")}{{\"eventId\":\"s{seed}c{client}-{counter}\",\"userId\":\"u{random.Next(users)}\",\"itemId\":\"i{random.Next(items)}\",\"type\":\"click\"}}");
                }

                return new HttpRequestMessage(HttpMethod.Post, "api/events") { Content = new StringContent(body.Append(']').ToString(), Encoding.UTF8, "application/json") };
            default:
                throw new ArgumentException($"Unknown load pattern '{pattern}'.", nameof(pattern));
        }
    }

    public static string ToJson(LoadResult result) => JsonSerializer.Serialize(result);

    public static LoadResult FromJson(string json) => JsonSerializer.Deserialize<LoadResult>(json) ?? throw new InvalidDataException("The load generator printed no result.");
}
