using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FuncRec.Application.Contracts;
using FuncRec.Application.Options;
using FuncRec.Application.Ports;
using FuncRec.Application.Services;
using FuncRec.Cli.Hosting;
using FuncRec.Core.Data;
using FuncRec.Core.Evaluation;
using FuncRec.Core.Features;
using FuncRec.Core.Model;
using FuncRec.Core.Persistence;
using FuncRec.Core.Training;
using FuncRec.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FuncRec.Cli.Commands;

/// <summary>
/// <c>funcrec import</c>, <c>train</c>, <c>eval</c> and <c>publish</c>: bring a history in, train a model offline
/// with the service's schema and configuration, measure it, and publish it as the starting point.
/// </summary>
public static class DataCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return Import();
        yield return Train();
        yield return Evaluate();
        yield return Publish();
    }

    private static Command Import()
    {
        var source = new Argument<DirectoryInfo>("source") { Description = "Directory with users.jsonl|csv, items.jsonl|csv and events.jsonl|csv (see the README's import format)." };
        var dataDirectory = DataDirectoryOption();
        var command = new Command("import", "Load users, items and events into a local data directory (events go through the queue and are applied).") { source, dataDirectory };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var problems = new List<ImportProblem>();
            var data = ImportFormat.ReadDirectory(parse.GetValue(source)!.FullName, problems);
            Report(problems);
            await using var app = LocalHost.Build(parse.GetValue(dataDirectory)!.FullName, "http://127.0.0.1:0", null, LogLevel.Warning);
            if (!await LocalHost.TryClaimDataDirectoryAsync(app))
            {
                return 1;
            }

            var profiles = app.Services.GetRequiredService<ProfileService>();
            foreach (var user in data.Users)
            {
                await profiles.PutUserAsync(user.Id, new Dictionary<string, FeatureValue>(user.Fields), cancellationToken);
            }

            foreach (var item in data.Items)
            {
                await profiles.PutItemAsync(item.Id, new Dictionary<string, FeatureValue>(item.Fields), cancellationToken);
            }

            var (accepted, rejected) = await LocalApply.IngestAndApplyAsync(app.Services, data.Events, cancellationToken);

            Console.WriteLine($"Imported {data.Users.Count} users, {data.Items.Count} items, {accepted} events ({rejected} refused) into {parse.GetValue(dataDirectory)!.FullName}");
            return problems.Count == 0 && rejected == 0 ? 0 : 1;
        });
        return command;
    }

    private static Command Train()
    {
        var source = new Argument<DirectoryInfo>("source") { Description = "Directory in the import format." };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the model.", Required = true };
        var objective = new Option<ModelObjective>("--objective") { Description = "Ranking (implicit) or Rating (explicit).", DefaultValueFactory = _ => ModelObjective.Ranking };
        var command = new Command("train", "Train a model offline on an imported history, with the service's schema (hold out the newest 10% to report its quality).") { source, output, objective };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new ModelOptions { Objective = parse.GetValue(objective) };
            var (data, problems) = Load(parse.GetValue(source)!.FullName, options);
            Report(problems);
            var parts = DataSplits.Temporal(data.Interactions, 0.9);
            var trainer = new RecommenderTrainer(TrainerOptionsFor(options));
            var model = trainer.Fit(ServiceSchema.Create(options), data.With(parts[0]), cancellationToken: cancellationToken);
            PrintQuality(model, data, parts[0], parts[1], options);

            // The published model trains on everything; the hold-out above only measured the recipe.
            model = trainer.Fit(ServiceSchema.Create(options), data, cancellationToken: cancellationToken);
            await File.WriteAllBytesAsync(parse.GetValue(output)!.FullName, ModelSerializer.ToBytes(model), cancellationToken);
            Console.WriteLine($"Wrote {parse.GetValue(output)!.FullName} ({model.TrainedEvents} events, rank {model.Rank}, {model.Loss})");
            return 0;
        });
        return command;
    }

    private static Command Evaluate()
    {
        var source = new Argument<DirectoryInfo>("source") { Description = "Directory in the import format (its newest 10% of events are the test set)." };
        var modelFile = new Option<FileInfo>("--model") { Description = "The model file to evaluate.", Required = true };
        var command = new Command("eval", "Evaluate a model file on the newest 10% of an imported history (a model trained on that same history has seen those events: its figures are optimistic).") { source, modelFile };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var model = ModelSerializer.FromBytes(await File.ReadAllBytesAsync(parse.GetValue(modelFile)!.FullName, cancellationToken));
            var options = new ModelOptions { Objective = model.Loss == LossKind.Squared ? ModelObjective.Rating : ModelObjective.Ranking };
            var (data, problems) = Load(parse.GetValue(source)!.FullName, options);
            Report(problems);
            var parts = DataSplits.Temporal(data.Interactions, 0.9);
            PrintQuality(model, data, parts[0], parts[1], options);
            return 0;
        });
        return command;
    }

    private static Command Publish()
    {
        var modelFile = new Argument<FileInfo>("model") { Description = "A model file written by funcrec train." };
        var dataDirectory = DataDirectoryOption();
        var inactive = new Option<bool>("--no-activate") { Description = "Publish the version without making it active." };
        var command = new Command("publish", "Publish a model trained offline as a new version of a data directory's registry (and activate it).") { modelFile, dataDirectory, inactive };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var model = ModelSerializer.FromBytes(await File.ReadAllBytesAsync(parse.GetValue(modelFile)!.FullName, cancellationToken));
            var objective = model.Loss == LossKind.Squared ? ModelObjective.Rating : ModelObjective.Ranking;
            await using var app = LocalHost.Build(parse.GetValue(dataDirectory)!.FullName, "http://127.0.0.1:0", new Dictionary<string, string?>
            {
                ["FuncRec:Model:Objective"] = objective.ToString(),
                ["FuncRec:Model:Rank"] = model.Rank.ToString(CultureInfo.InvariantCulture),
                ["FuncRec:Model:BehaviourItems"] = (model.Encoder.BehaviourGroup?.MaxValues ?? new ModelOptions().BehaviourItems).ToString(CultureInfo.InvariantCulture),
            }, LogLevel.Warning);
            var manifest = await app.Services.GetRequiredService<ModelService>().PublishAsync(model, "offline", !parse.GetValue(inactive), null, cancellationToken);
            Console.WriteLine($"Published {manifest.Version}{(parse.GetValue(inactive) ? string.Empty : " and made it active")} in {parse.GetValue(dataDirectory)!.FullName}");
            return 0;
        });
        return command;
    }

    private static Option<DirectoryInfo> DataDirectoryOption()
        => new("--data-dir") { Description = "The local data directory (as for funcrec serve).", DefaultValueFactory = _ => new DirectoryInfo("funcrec-data") };

    private static (TrainingData Data, List<ImportProblem> Problems) Load(string directory, ModelOptions options)
    {
        var problems = new List<ImportProblem>();
        var imported = ImportFormat.ReadDirectory(directory, problems);
        var users = new EntityCatalog(imported.Users);
        var items = new EntityCatalog(imported.Items);
        var targets = new EventTargets(options);
        var interactions = new List<Interaction>();
        var order = 0L;
        foreach (var e in imported.Events)
        {
            order++;
            var accepted = new AcceptedEvent { EventId = e.EventId ?? order.ToString(CultureInfo.InvariantCulture), UserId = e.UserId, ItemId = e.ItemId, Type = e.Type, Value = e.Value };
            if (targets.TargetOf(accepted) is { } target)
            {
                interactions.Add(new Interaction(users.GetOrAdd(e.UserId), items.GetOrAdd(e.ItemId), target, e.Timestamp?.ToUnixTimeSeconds() ?? order));
            }
        }

        return (new TrainingData(users, items, interactions), problems);
    }

    private static TrainerOptions TrainerOptionsFor(ModelOptions model) => new()
    {
        Rank = model.Rank,
        Loss = model.Loss,
        Epochs = model.Epochs,
        LearningRate = (float)model.LearningRate,
        BiasLearningRate = (float)model.LearningRate,
        L2 = (float)model.L2,
        BiasL2 = (float)(model.L2 / 5),
        NegativeSamples = model.NegativeSamples,
        MinValue = model.Objective == ModelObjective.Rating ? (float)model.MinRating : null,
        MaxValue = model.Objective == ModelObjective.Rating ? (float)model.MaxRating : null,
        Seed = model.Seed,
    };

    private static void PrintQuality(RecommenderModel model, TrainingData data, Interaction[] train, Interaction[] test, ModelOptions options)
    {
        var behaviour = new BehaviourIndex(data.Users.Count, train, options.BehaviourItems);
        var scorer = new CatalogScorer(model, data.Users, data.Items, behaviour);
        if (options.Objective == ModelObjective.Rating)
        {
            var rating = Evaluations.Rating(scorer, test);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Hold-out (newest 10%, {rating.Count} ratings): RMSE {rating.Rmse:F4}, MAE {rating.Mae:F4}"));
            return;
        }

        var ranking = Evaluations.Ranking(scorer, train, test, 10, Environment.ProcessorCount);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Hold-out (newest 10%, {ranking.Users} users): precision@10 {ranking.Precision:F4}, recall@10 {ranking.Recall:F4}, NDCG@10 {ranking.Ndcg:F4}, MAP@10 {ranking.Map:F4}, coverage {ranking.Coverage:F3}"));
    }

    private static void Report(List<ImportProblem> problems)
    {
        foreach (var problem in problems.Take(20))
        {
            Console.Error.WriteLine($"{problem.File}:{problem.Line}: {problem.Reason}");
        }

        if (problems.Count > 20)
        {
            Console.Error.WriteLine($"… and {problems.Count - 20} more problems");
        }
    }
}
