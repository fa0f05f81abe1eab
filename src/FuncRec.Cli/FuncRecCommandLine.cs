using System.CommandLine;
using FuncRec.Cli.Commands;

namespace FuncRec.Cli;

/// <summary>The <c>funcrec</c> command tree.</summary>
public static class FuncRecCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("FuncRec: a recommender backend that keeps learning while it serves.");
        var bench = new Command("bench", "Measure FuncRec: model quality on MovieLens, or the serving loop over HTTP.");
        bench.Subcommands.Add(BenchQualityCommand.Create());
        bench.Subcommands.Add(BenchAdaptiveCommand.Create());
        foreach (var command in BenchServeCommand.Create())
        {
            bench.Subcommands.Add(command);
        }
        root.Subcommands.Add(bench);
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        foreach (var command in DataCommands.Create())
        {
            root.Subcommands.Add(command);
        }
        return root;
    }
}
