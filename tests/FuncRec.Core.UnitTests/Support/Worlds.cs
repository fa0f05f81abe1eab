using FuncRec.Core.Data;
using FuncRec.Core.Model;
using FuncRec.Core.Training;

namespace FuncRec.Core.UnitTests.Support;

/// <summary>Small synthetic worlds and fits shared by the training tests (each well under a second).</summary>
internal static class Worlds
{
    public static SyntheticWorld Ratings(ulong seed = 1, int events = 8000, int? driftAt = null)
        => SyntheticWorld.Generate(new SyntheticWorldOptions { Users = 250, Items = 150, Events = events, Seed = seed, DriftAt = driftAt });

    public static SyntheticWorld Clicks(ulong seed = 1, int events = 12000, int? driftAt = null)
        => SyntheticWorld.Generate(new SyntheticWorldOptions { Users = 300, Items = 200, Events = events, Seed = seed, DriftAt = driftAt, ExplicitRatings = false });

    public static TrainerOptions RatingOptions => new() { Rank = 8, Epochs = 8, LearningRate = 0.05f, L2 = 0.05f, BiasL2 = 0.01f, Seed = 7 };

    public static TrainerOptions RankingOptions => new() { Rank = 16, Loss = LossKind.Bpr, Epochs = 10, LearningRate = 0.05f, L2 = 0.005f, BiasL2 = 0.001f, NegativeSamples = 3, Seed = 7 };

    public static RecommenderModel FitRatings(SyntheticWorld world, int? take = null)
        => new RecommenderTrainer(RatingOptions).Fit(SyntheticWorld.Schema(), world.All.With(world.Events.Take(take ?? world.Events.Length).ToArray()));
}
