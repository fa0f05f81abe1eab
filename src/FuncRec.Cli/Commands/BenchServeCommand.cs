using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FuncRec.Cli.Bench;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FuncRec.Cli.Commands;

/// <summary><c>funcrec bench serve [--out FILE]</c> and the two helper processes it starts (load generator, baseline server).</summary>
public static class BenchServeCommand
{
    public static IEnumerable<Command> Create()
    {
        var output = new Option<FileInfo?>("--out") { Description = "Write the results as JSON to this file." };
        var work = new Option<DirectoryInfo>("--work-dir") { Description = "Where the seeded data directory goes.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Path.GetTempPath(), "funcrec-bench-serve")) };
        var quick = new Option<bool>("--quick") { Description = "Shorter phases and a smaller seed (a smoke run, not the figures)." };
        var generator = new Option<string>("--generator")
        {
            Description = "The load generator for every HTTP phase: wrk (must be on PATH), builtin (an HttpClient generator), or auto (wrk when installed).",
            DefaultValueFactory = _ => "auto",
        };
        generator.AcceptOnlyFromAmong("auto", "wrk", "builtin");
        var serve = new Command("serve", "Measure the serving loop over real HTTP against a funcrec serve process: recommend, baseline, in-process, ingest, freshness, fine-tune.") { output, work, quick, generator };
        serve.SetAction(async (parse, cancellationToken) =>
        {
            var chosen = parse.GetValue(generator);
            var wrk = chosen == "builtin" ? null : WrkLoadGenerator.Find();
            if (wrk is null && chosen == "wrk")
            {
                await Console.Error.WriteLineAsync("--generator wrk: wrk is not on PATH (Debian/Ubuntu: sudo apt-get install wrk).");
                return 2;
            }

            Console.WriteLine(wrk is null ? "Load generator: built-in HttpClient (install wrk for a lighter client)" : $"Load generator: {wrk}");
            var report = await new ServeBenchmark(Console.Out, parse.GetValue(work)!.FullName, quick: parse.GetValue(quick), wrk: wrk).RunAsync(cancellationToken);
            var json = JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true });
            Console.WriteLine(json);
            if (parse.GetValue(output) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, json, cancellationToken);
                Console.WriteLine($"Wrote {file.FullName}");
            }

            return 0;
        });

        var url = new Option<string>("--url") { Required = true };
        var pattern = new Option<string>("--pattern") { Required = true };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 32 };
        var warmup = new Option<double>("--warmup") { DefaultValueFactory = _ => 5 };
        var duration = new Option<double>("--duration") { DefaultValueFactory = _ => 20 };
        var users = new Option<int>("--users") { DefaultValueFactory = _ => 10_000 };
        var items = new Option<int>("--items") { DefaultValueFactory = _ => 10_000 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 7, Description = "Seeds users, items and event ids (another seed posts events never seen before)." };
        var load = new Command("load", "(used by bench serve) Drive an HTTP endpoint with a closed-loop load and print the result as JSON.") { url, pattern, concurrency, warmup, duration, users, items, seed };
        load.Hidden = true;
        load.SetAction(async (parse, cancellationToken) =>
        {
            var result = await LoadGenerator.RunAsync(new Uri(parse.GetValue(url)!), parse.GetValue(pattern)!, parse.GetValue(concurrency), TimeSpan.FromSeconds(parse.GetValue(warmup)), TimeSpan.FromSeconds(parse.GetValue(duration)), parse.GetValue(users), parse.GetValue(items), parse.GetValue(seed), cancellationToken);
            Console.WriteLine(LoadGenerator.ToJson(result));
            return 0;
        });

        var urls = new Option<string>("--urls") { Required = true };
        var baseline = new Command("baseline-server", "(used by bench serve) A bare ASP.NET Core endpoint returning a constant JSON body.") { urls };
        baseline.Hidden = true;
        baseline.SetAction(async (parse, cancellationToken) =>
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(parse.GetValue(urls)!);
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var body = """{"userId":"u1","modelVersion":"v1","strategy":"model","items":[{"itemId":"i1","score":1.0}]}"""u8.ToArray();
            app.MapGet("/constant", async (HttpContext context) =>
            {
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(body, context.RequestAborted);
            });
            await app.RunAsync();
            return 0;
        });
        return [serve, load, baseline];
    }
}
