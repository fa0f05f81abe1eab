using System.CommandLine;
using FuncRec.Cli.Hosting;
using Microsoft.Extensions.Hosting;

namespace FuncRec.Cli.Commands;

/// <summary><c>funcrec serve [--data-dir DIR] [--urls URL]</c>.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var dataDirectory = new Option<DirectoryInfo>("--data-dir") { Description = "Where the embedded stores keep their data.", DefaultValueFactory = _ => new DirectoryInfo("funcrec-data") };
        var urls = new Option<string>("--urls") { Description = "Addresses to listen on.", DefaultValueFactory = _ => LocalHost.DefaultUrl };
        var storage = new Option<StorageKind>("--storage") { Description = "Embedded (SQLite and files, the default) or Azure (Azurite/Cosmos or real accounts, from AzureWebJobsStorage and FuncRec__Cosmos__* settings).", DefaultValueFactory = _ => StorageKind.Embedded };
        var command = new Command("serve", "Run the whole backend (HTTP API, queue consumer, fine-tune schedule) in one process, on local stores by default.") { dataDirectory, urls, storage };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(storage) == StorageKind.Embedded)
            {
                LocalHost.PreferInlineSocketCompletions();
            }

            var app = LocalHost.Build(parse.GetValue(dataDirectory)!.FullName, parse.GetValue(urls)!, storage: parse.GetValue(storage));

            // Claimed before anything starts, so a second server on the same directory stops here with the reason,
            // instead of serving while its queue consumer fails at every receive.
            if (!await LocalHost.TryClaimDataDirectoryAsync(app))
            {
                await app.DisposeAsync();
                return 1;
            }

            await app.StartAsync(cancellationToken);
            Console.WriteLine($"FuncRec is serving on {string.Join(", ", app.Urls)} (data in {parse.GetValue(dataDirectory)!.FullName}; {LocalHost.CollectorSummary()}); Ctrl+C stops it.");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        });
        return command;
    }
}
