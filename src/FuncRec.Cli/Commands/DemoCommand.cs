using System.CommandLine;
using System.Globalization;
using FuncRec.Cli.Demo;
using FuncRec.Core.Data;

namespace FuncRec.Cli.Commands;

/// <summary><c>funcrec demo [--movielens DIR] [--out DIR] [--quick]</c>: FuncRec's main job, end to end, on one machine.</summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var movieLens = new Option<DirectoryInfo?>("--movielens") { Description = "Pretrain and replay MovieLens 100K from this directory (default: the synthetic world)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where summary.json, report.html and the data go.", DefaultValueFactory = _ => new DirectoryInfo("funcrec-demo") };
        var quick = new Option<bool>("--quick") { Description = "A smaller run that finishes within about a minute." };
        var command = new Command("demo", "Start the backend, pretrain, replay a stream with a drift through the HTTP API, and report online learning against a frozen model.") { movieLens, output, quick };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var directory = parse.GetValue(movieLens);
            if (directory is not null && !MovieLens100K.IsPresent(directory.FullName))
            {
                await Console.Error.WriteLineAsync($"No MovieLens 100K files in '{directory.FullName}'.");
                return 2;
            }

            var scenario = directory is null ? DemoScenario.Synthetic(parse.GetValue(quick)) : DemoScenario.MovieLens(directory.FullName, parse.GetValue(quick));
            var outDirectory = parse.GetValue(output)!.FullName;
            var summary = await new DemoRunner(scenario, outDirectory, parse.GetValue(quick), Console.Out).RunAsync(cancellationToken);
            Console.WriteLine();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"After the drift, recall@10 online {summary.OnlineVsFrozen.Online:F3} vs frozen {summary.OnlineVsFrozen.Frozen:F3}: lift {summary.OnlineVsFrozen.Lift:P1}; {summary.ModelsPublished} models; drift alarms at {string.Join(", ", summary.DriftDetectedAt)}."));
            Console.WriteLine($"Wrote {Path.Combine(outDirectory, "summary.json")} and {Path.Combine(outDirectory, "report.html")}");
            return 0;
        });
        return command;
    }
}
