using System.ComponentModel.DataAnnotations;
using FuncRec.Core.Model;

namespace FuncRec.Application.Options;

/// <summary>
/// Everything a FuncRec host is configured with, bound from the <c>FuncRec</c> configuration section
/// (<c>FuncRec__…</c> app settings); the queue name and fine-tune schedule come from the flat settings the trigger
/// bindings read (<c>FuncRecEventQueue</c>, <c>FuncRecFineTuneSchedule</c>). docs/settings.md lists them all.
/// </summary>
public sealed class FuncRecOptions
{
    public const string Section = "FuncRec";

    /// <summary>Flat setting read by the queue trigger's <c>%FuncRecEventQueue%</c> binding.</summary>
    public const string EventQueueSetting = "FuncRecEventQueue";

    /// <summary>Flat setting read by the timer trigger's <c>%FuncRecFineTuneSchedule%</c> binding.</summary>
    public const string FineTuneScheduleSetting = "FuncRecFineTuneSchedule";

    [Required]
    public ModelOptions Model { get; set; } = new();

    [Required]
    public IngestOptions Ingest { get; set; } = new();

    [Required]
    public OnlineOptions Online { get; set; } = new();

    [Required]
    public FineTuneCycleOptions FineTune { get; set; } = new();

    [Required]
    public ServingOptions Serving { get; set; } = new();
}

/// <summary>What the model learns and how it is trained from scratch.</summary>
public sealed class ModelOptions
{
    /// <summary>Ranking (implicit events: views, clicks, purchases, good ratings) or Rating (explicit ratings, squared error).</summary>
    public ModelObjective Objective { get; set; } = ModelObjective.Ranking;

    [Range(2, 256)]
    public int Rank { get; set; } = 32;

    [Range(1, 200)]
    public int Epochs { get; set; } = 12;

    [Range(1e-5, 10)]
    public double LearningRate { get; set; } = 0.05;

    [Range(0, 10)]
    public double L2 { get; set; } = 0.005;

    /// <summary>Draws per positive in dynamic negative sampling (Ranking).</summary>
    [Range(1, 100)]
    public int NegativeSamples { get; set; } = 3;

    /// <summary>A rating at or above this counts as a positive for the Ranking objective.</summary>
    [Range(-1e6, 1e6)]
    public double PositiveRating { get; set; } = 4;

    /// <summary>Rating range for the Rating objective.</summary>
    public double MinRating { get; set; } = 1;

    public double MaxRating { get; set; } = 5;

    [Range(0, 10_000)]
    public int BehaviourItems { get; set; } = 50;

    public ulong Seed { get; set; } = 42;

    public LossKind Loss => Objective == ModelObjective.Rating ? LossKind.Squared : LossKind.Bpr;
}

public enum ModelObjective
{
    Ranking = 0,
    Rating = 1,
}

/// <summary>Limits of <c>POST /api/events</c>.</summary>
public sealed class IngestOptions
{
    [Range(1, 10_000)]
    public int MaxEventsPerRequest { get; set; } = 1000;

    [Range(1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    [Range(1, 512)]
    public int MaxIdLength { get; set; } = 128;

    [Range(0, 64)]
    public int MaxContextEntries { get; set; } = 16;

    /// <summary>
    /// Backpressure: with more than this many messages waiting, a post waits (up to <see cref="BacklogWaitSeconds"/>,
    /// then 503) until consumers catch up, so accepted events reach the model within moments instead of queueing
    /// without bound. 0 turns it off (Azure, where consumers scale out); the local host sets a small bound.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxQueueBacklog { get; set; }

    [Range(1, 3600)]
    public int BacklogWaitSeconds { get; set; } = 30;

    /// <summary>
    /// A post with at most this many valid events (one message) is applied in the request after it is stored, so
    /// the app's next call sees it at once; bigger posts go through the queue consumer. 0 sends everything through
    /// the queue.
    /// </summary>
    [Range(0, 1000)]
    public int ApplyInlineMaxEvents { get; set; } = 10;

    /// <summary>How long a post applied in the request stays hidden from consumers; if applying fails, a consumer applies it after this.</summary>
    [Range(1, 3600)]
    public int InlineHoldSeconds { get; set; } = 30;
}

/// <summary>Online learning of user state from event batches.</summary>
public sealed class OnlineOptions
{
    [Range(1e-5, 10)]
    public double LearningRate { get; set; } = 0.1;

    [Range(0, 10)]
    public double L2 { get; set; } = 0.05;

    /// <summary>Interactions kept in each user's document (behaviour features and replay after a model switch).</summary>
    [Range(1, 10_000)]
    public int RecentEvents { get; set; } = 50;

    /// <summary>Ids of applied events kept per user: retries within this many later events of the user apply nothing twice.</summary>
    [Range(1, 100_000)]
    public int AppliedEventIds { get; set; } = 200;

    /// <summary>Batches remembered per user (by an 8-character tag): a redelivered batch among them applies nothing twice, however late.</summary>
    [Range(1, 100_000)]
    public int AppliedBatches { get; set; } = 256;

    /// <summary>Users of one batch applied at the same time (store round trips overlap; a local database gains little from more).</summary>
    [Range(1, 256)]
    public int UserParallelism { get; set; } = 8;

    /// <summary>Attempts to write a user's document when concurrent writers keep winning.</summary>
    [Range(1, 1000)]
    public int MaxWriteAttempts { get; set; } = 50;

    /// <summary>Adapt the online learning rate from the prequential error of a small grid around it.</summary>
    public bool AdaptiveLearningRate { get; set; } = true;
}

/// <summary>The periodic fine-tune (transfer learning) cycle.</summary>
public sealed class FineTuneCycleOptions
{
    /// <summary>NCRONTAB schedule, six fields (seconds first), as the timer trigger reads it.</summary>
    [Required]
    public string Schedule { get; set; } = "0 */5 * * * *";

    /// <summary>Fewest new events worth a cycle (and the least a first model is trained from).</summary>
    [Range(1, 100_000_000)]
    public int MinEvents { get; set; } = 200;

    /// <summary>The newest share of the window held out to compare challenger and champion.</summary>
    [Range(0.01, 0.5)]
    public double HoldoutFraction { get; set; } = 0.1;

    [Range(1, 100)]
    public int Epochs { get; set; } = 5;

    [Range(1e-5, 10)]
    public double LearningRate { get; set; } = 0.02;

    [Range(0, 100)]
    public double AnchorL2 { get; set; } = 0.05;

    /// <summary>Events before the window read for behaviour context (not trained on).</summary>
    [Range(0, 10_000_000)]
    public int ContextEvents { get; set; } = 50_000;

    /// <summary>Largest window trained in one cycle (the rest waits for the next).</summary>
    [Range(1, 100_000_000)]
    public int MaxWindowEvents { get; set; } = 2_000_000;

    /// <summary>A challenger may be at most this much worse (relative) than the champion and still be published.</summary>
    [Range(0, 1)]
    public double Tolerance { get; set; } = 0.0;

    /// <summary>Run a cycle early when the drift detector fires.</summary>
    public bool FineTuneOnDrift { get; set; } = true;
}

/// <summary>Scoring and recommendation.</summary>
public sealed class ServingOptions
{
    /// <summary>How often an instance checks the active model pointer and the item catalog for changes.</summary>
    [Range(1, 86_400)]
    public int ModelRefreshSeconds { get; set; } = 30;

    [Range(1, 10_000)]
    public int MaxCandidates { get; set; } = 1000;

    [Range(1, 1000)]
    public int MaxK { get; set; } = 100;

    /// <summary>Events of the log's tail counted for popularity before the first model exists.</summary>
    [Range(1, 10_000_000)]
    public int PopularityEvents { get; set; } = 20_000;

    /// <summary>Explanation terms returned (the rest is the remainder).</summary>
    [Range(1, 100)]
    public int ExplanationTerms { get; set; } = 10;

    /// <summary>
    /// Users a host that warms its models (<c>funcrec serve</c>) recommends for once on each model before it serves:
    /// the most recently active in the event log's tail, newest first. 0 turns the warm-up off. At most half the bound
    /// of the per-model behaviour rows (20,000 users, which start again when full): the warm-up must not fill them, and
    /// the users it did not warm need room after the swap before the bound clears what it warmed.
    /// </summary>
    [Range(0, 10_000)]
    public int WarmupUsers { get; set; } = 10_000;
}
